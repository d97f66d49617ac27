/**
 * Undo stack: every step that changes the host registers how to take it back, and a failed start
 * (or the end of the pod) runs them in reverse order. One failing undo does not stop the others;
 * their errors are collected and reported together.
 */
export interface UndoStep {
  what: string;
  run: () => void | Promise<void>;
}

export class Undo {
  private steps: UndoStep[] = [];

  push(what: string, run: () => void | Promise<void>): void {
    this.steps.push({ what, run });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every step, last first; resolves with the failures (empty when all went well). */
  async unwind(onStep?: (what: string) => void): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      onStep?.(step.what);
      try {
        await step.run();
      } catch (err) {
        errors.push(new Error(`undo: ${step.what}`, { cause: err }));
      }
    }
    return errors;
  }
}
