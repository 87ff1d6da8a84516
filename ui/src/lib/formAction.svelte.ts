// The submit handling every form shares: one submission at a time, the error of the last
// attempt as {code, message}, and `busy` for disabling the button meanwhile.
import { toAppError, type AppError } from './errors';

export class FormAction {
  busy = $state(false);
  error = $state<AppError | null>(null);

  /** Run `work` unless a submission is already running; keep its error, if any. */
  async run(work: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      await work();
    } catch (thrown) {
      this.error = toAppError(thrown);
    } finally {
      this.busy = false;
    }
  }
}
