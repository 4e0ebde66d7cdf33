/** A stream the status line can draw on: a terminal, with its size when it is known. */
export interface TerminalStream {
  /**
   * Writes text: control sequences and the status, in one write per redraw. A throw (a terminal
   * that hung up) is caught.
   * @param text - The text to write.
   */
  write(text: string): unknown;
  /** True when the stream is a terminal; without it there is no status line. */
  readonly isTTY?: boolean | undefined;
  /** Rows of the terminal; 0 or undefined when unknown. */
  readonly rows?: number | undefined;
  /** Columns of the terminal; 0 or undefined when unknown. */
  readonly columns?: number | undefined;
  /**
   * Subscribes to the terminal's resizes (a resize resets the scroll region: the row is reserved
   * again).
   * @param event - `'resize'`.
   * @param listener - Called after each resize.
   */
  on?(event: 'resize', listener: () => void): unknown;
  /**
   * Unsubscribes from the resizes.
   * @param event - `'resize'`.
   * @param listener - The listener given to `on`.
   */
  off?(event: 'resize', listener: () => void): unknown;
}

const ESC = '\x1b';
/** DECSC / DECRC: save and restore the cursor (position and attributes). */
const SAVE = `${ESC}7`;
const RESTORE = `${ESC}8`;
const CLEAR_LINE = `${ESC}[2K`;
/** DECSTBM without arguments: the whole screen scrolls again. */
const FULL_REGION = `${ESC}[r`;
/** IND: one line down, scrolling when on the bottom row; unlike "\n" it keeps the column. */
const INDEX = `${ESC}D`;
const UP = `${ESC}[1A`;

/** Smaller than this, a reserved row would leave too little room for the data. */
const MIN_ROWS = 3;
const MIN_COLUMNS = 10;

function sizeOf(stream: TerminalStream): { rows: number; columns: number } | undefined {
  const rows = stream.rows ?? 0;
  const columns = stream.columns ?? 0;
  return rows >= MIN_ROWS && columns >= MIN_COLUMNS ? { rows, columns } : undefined;
}

/**
 * A one-line status kept on the terminal's last row, outside the scrolling area: the region
 * above it (DECSTBM) is where data, lifecycle lines and the echo of what the user types go, so a
 * redraw never touches them and they never land on the status row. Drawn only between a cursor
 * save and restore, in one write, so the kernel's echo of a keystroke cannot fall inside it.
 *
 * The row is reserved at the first {@link show}, and given back by {@link close}, which every
 * exit path must call: a scroll region left behind would keep the shell's output off that row.
 */
export class StatusLine {
  readonly #out: TerminalStream;
  #text = '';
  /** The rows of the terminal when the row was reserved; 0 while nothing is reserved. */
  #rows = 0;
  #columns = 0;
  #closed = false;
  #suspended = false;
  readonly #onResize = () => this.#resized();

  private constructor(out: TerminalStream) {
    this.#out = out;
  }

  /**
   * A status line on `out`, or undefined when `out` is no terminal or its size is unknown (fewer
   * than 3 rows or 10 columns). Nothing is drawn before the first {@link StatusLine.show}.
   * @param out - The terminal: standard error.
   */
  static open(out: TerminalStream): StatusLine | undefined {
    if (out.isTTY !== true || sizeOf(out) === undefined) return undefined;
    return new StatusLine(out);
  }

  /**
   * Shows `text` on the last row, reserving the row the first time.
   * @param text - One line, already escaped; cut to the width of the terminal.
   */
  show(text: string): void {
    if (this.#closed) return;
    this.#text = text;
    if (this.#suspended) return;
    if (this.#rows === 0 && !this.#reserve()) return;
    this.#draw();
  }

  /** Gives the row back while the process is stopped (Ctrl-Z); {@link resume} takes it again. */
  suspend(): void {
    if (this.#closed || this.#suspended) return;
    this.#suspended = true;
    this.#release();
  }

  /** After {@link suspend}: reserves the row again and redraws the last text. */
  resume(): void {
    if (this.#closed || !this.#suspended) return;
    this.#suspended = false;
    if (this.#text !== '' && this.#reserve()) this.#draw();
  }

  /** Clears the row and lets the whole screen scroll again. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }

  /**
   * Makes the last row the status row: a line down first (scrolling when the cursor is on the
   * bottom row, so that nothing there is overwritten), the region set around the cursor (setting
   * it homes the cursor, hence the save and restore), then back up into the region.
   */
  #reserve(): boolean {
    const size = sizeOf(this.#out);
    if (size === undefined) return false;
    this.#rows = size.rows;
    this.#columns = size.columns;
    this.#out.on?.('resize', this.#onResize);
    this.#write(
      `${SAVE}${FULL_REGION}${RESTORE}${INDEX}${SAVE}${ESC}[1;${size.rows - 1}r${RESTORE}${UP}`,
    );
    return true;
  }

  #release(): void {
    if (this.#rows === 0) return;
    this.#out.off?.('resize', this.#onResize);
    this.#write(`${SAVE}${ESC}[${this.#rows};1H${CLEAR_LINE}${FULL_REGION}${RESTORE}`);
    this.#rows = 0;
  }

  #draw(): void {
    // The last column is left free: a character there leaves the cursor waiting to wrap, and
    // some terminals then scroll the whole screen.
    const text = Array.from(this.#text)
      .slice(0, this.#columns - 1)
      .join('');
    this.#write(`${SAVE}${ESC}[${this.#rows};1H${CLEAR_LINE}${text}${RESTORE}`);
  }

  /**
   * A resize resets the scroll region (xterm, tmux, VTE): the row is reserved again for the new
   * size, or given up when the size is no longer known.
   */
  #resized(): void {
    if (this.#closed || this.#rows === 0) return;
    this.#out.off?.('resize', this.#onResize);
    this.#rows = 0;
    if (this.#reserve()) this.#draw();
    else this.#write(`${SAVE}${FULL_REGION}${RESTORE}`);
  }

  #write(text: string): void {
    try {
      this.#out.write(text);
    } catch {
      // A terminal that hung up: nothing left to draw on.
    }
  }
}
