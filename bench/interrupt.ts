/**
 * What a bench run must undo even when it is stopped half-way (Ctrl-C, or SIGTERM from a CI
 * runner): the cores it took from MariaDB and Redis, the database and Redis keys it made.
 * One handler for the whole process, so that every undo runs, newest first, before it exits.
 */
const undos: Array<() => unknown> = [];
let listening = false;

/** The exit status of a process ended by `signal`, as a shell reports it. */
const EXIT_STATUS: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

async function interrupted(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  console.error(`bench: ${signal}, undoing what the run changed`);
  for (const undo of undos.splice(0).reverse()) {
    try {
      await undo();
    } catch (error) {
      console.error(`bench: could not undo: ${(error as Error).message}`);
    }
  }
  process.exit(EXIT_STATUS[signal]);
}

/** Runs `undo` if the process is interrupted before the returned function is called. */
export function undoOnInterrupt(undo: () => unknown): () => void {
  if (!listening) {
    // Whatever else listens (a Nest app's shutdown hooks, say), the undos still run.
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    listening = true;
  }
  undos.push(undo);
  return () => {
    const index = undos.lastIndexOf(undo);
    if (index >= 0) undos.splice(index, 1);
  };
}
