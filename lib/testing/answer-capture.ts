import type { ResponseTarget } from './http-io';

/** A whole HTTP answer: what an endpoint handler wrote, kept for a fault to deliver. */
export interface CapturedAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * A `ResponseTarget` that keeps the answer instead of sending it: the endpoint handler runs (and
 * changes the emulator's state) now, and a fault then delivers the answer late, cut or trickled.
 */
export class AnswerCapture implements ResponseTarget {
  private status = 200;
  private readonly headers: Record<string, string> = {};
  private body: Buffer | undefined;
  private started = false;

  get headersSent(): boolean {
    return this.started;
  }

  get destroyed(): boolean {
    return false;
  }

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  writeHead(status: number): this {
    this.status = status;
    this.started = true;
    return this;
  }

  end(body: Buffer): this {
    this.body = body;
    return this;
  }

  /** The answer written; throws when the handler wrote none (the pipeline then answers 500). */
  answer(): CapturedAnswer {
    if (this.body === undefined) throw new Error('TikTok emulator: the handler wrote no answer');
    return { status: this.status, headers: { ...this.headers }, body: this.body };
  }
}
