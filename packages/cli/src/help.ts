/** The text of `connback --help`: usage, URLs, flags with units and defaults, exit codes. */
export const HELP = `Usage: connback [options] <url>
       connback demo

Connects to <url> and keeps the connection alive, like nc or websocat that reconnect: standard
input goes to the connection (kept while it is down, up to a bound), what arrives goes to
standard output, and the lifecycle goes to standard error.

URLs:
  tcp://host:port      TCP                    tls://host:port   TLS (certificates verified)
  unix:/path/to.sock   a Unix socket          ws://… wss://…    WebSocket, one message per line

Connection:
  --keepalive <s>          ping period in seconds; a peer silent for 2 periods is dropped.
                           ws: default 60, with protocol pings. tcp, unix: off by default
                           (no protocol to ping with); with it, any incoming data is a
                           heartbeat, so give --ping too unless the server talks on its own
  --ping <payload>         what a ping sends: tcp, unix: the bytes as given (e.g. $'PING\\r\\n');
                           ws: a text message instead of protocol pings
  --connect-timeout <ms>   give up an attempt after this long (default 30000; 0: never)
  --initial-delay <ms>     cap of the first backoff delay (default 1000)
  --max-delay <ms>         cap of every backoff delay (default 30000)
  --max-attempts <n>       attempts per outage before giving up (default Infinity)
  --strategy <name>        how the cap grows: fibonacci (default) or exponential
  --jitter <name>          full (default: each delay random up to the cap), equal or none
  --min-uptime <ms>        a connection counts as stable after this long (default 1000)

TLS (tls:// and wss://):
  --ca <file>              trust the CA certificates in this PEM file instead of the system's
                           (NODE_EXTRA_CA_CERTS=<file> adds to the system's instead)
  --cert <file>            a client certificate (PEM), with --key
  --key <file>             the private key of --cert (PEM, not encrypted)
  --servername <name>      the name sent (SNI) and checked against the certificate
  -k, --insecure           do not verify the server's certificate (a warning says so)
  --retry-cert-errors      retry after a certificate error (by default it ends the command:
                           retrying cannot fix a certificate that is not trusted)

Output:
  -v, --verbose            also every state change, attempt, backoff delay and error
  -q, --quiet              nothing on standard error but a fatal error
  --json                   the lifecycle as one JSON object per line on standard error
  -h, --help               this text
  -V, --version            the version

By default standard error gets one line per event that matters: connected, connection lost,
reconnected, giving up, and the first error of each kind while reconnecting. On a terminal a
status line stays on the last row.

Exit codes: 0 standard input ended and everything was written, or standard output was closed
(| head); 1 the connection could not be kept (attempts exhausted, a fatal close, a certificate
error, never connected before standard input ended and the attempts ran out); 2 a usage error;
129 the terminal hung up; 130 interrupted (Ctrl-C).
Tracing: DEBUG=connback:* connback <url>.
`;
