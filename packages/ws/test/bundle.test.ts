import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Markers of the `ws` package's own code: the handshake GUID and header it writes. */
const WS_MARKERS = ['258EAFA5-E914-47DA-95CA-C5AB0DC85B11', 'Sec-WebSocket-Key'];

/** Bundles src/index.ts with core and everything it imports, for the browser or for Node. */
async function bundle(platform: 'browser' | 'node'): Promise<string> {
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root,
    resolve: {
      conditions: platform === 'browser' ? ['browser', 'module', 'import'] : ['node', 'import'],
    },
    build: {
      write: false,
      minify: false,
      ssr: platform === 'node',
      lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'bundle' },
      rolldownOptions: platform === 'node' ? { external: [/^node:/] } : {},
    },
    ...(platform === 'node' ? { ssr: { noExternal: true } } : {}),
  })) as Rolldown.RolldownOutput[] | Rolldown.RolldownOutput;
  const outputs = Array.isArray(output) ? output : [output];
  return outputs
    .flatMap((o) => o.output)
    .map((chunk) => (chunk.type === 'chunk' ? chunk.code : ''))
    .join('\n');
}

it('the browser bundle of core + ws contains no code of the ws package', async () => {
  const code = await bundle('browser');
  expect(code).toContain('CONNBACK_CONNECT_TIMEOUT');
  expect(code).toMatch(/WsConnector = class|class WsConnector/);
  for (const marker of WS_MARKERS) expect(code).not.toContain(marker);
  expect(code).not.toMatch(/from\s*["']ws["']|import\(\s*["']ws["']\s*\)/);
}, 60_000);

it('the Node build does take ws (so the browser check above can fail)', async () => {
  const code = await bundle('node');
  expect(WS_MARKERS.some((marker) => code.includes(marker))).toBe(true);
}, 60_000);
