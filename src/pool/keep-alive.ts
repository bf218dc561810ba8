/**
 * One ref'd handle while the pool has work, none otherwise: workers, pipes and timers are all
 * unref'd, so an idle pool never keeps Node alive and a busy one always does. A single long timer is
 * toggled with ref()/unref(), which costs next to nothing on a per-job path.
 */
export class KeepAlive {
  #timer: NodeJS.Timeout | null = null;
  #held = false;

  set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    if (held) {
      if (this.#timer === null) this.#timer = setInterval(noop, 2 ** 30);
      else this.#timer.ref();
    } else {
      this.#timer?.unref();
    }
  }

  dispose(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#held = false;
  }
}

function noop(): void {}
