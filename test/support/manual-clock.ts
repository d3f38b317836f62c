/** A clock that only moves when told to: inject `clock.now` where a `() => number` is taken. */
export class ManualClock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  /** The current time (epoch ms); a bound function, safe to pass around. */
  readonly now = (): number => this.current;

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
}
