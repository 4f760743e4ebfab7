/** What the two halves of the local history test share across the closing and reopening of VS Code. */
import path from 'node:path';

export const HISTORY_ROOM = 'history-e2e';

/** Left by 5-history.test.ts for 5-history.reopen.test.ts: where the relay listened and kept its history. */
export interface ReopenState {
  relayPort: number;
  relayDir: string;
}

/** In the run's folder, which both VS Code runs share (runIntegration.mjs passes it). */
export function reopenStateFile(): string {
  const runDir = process.env.UDPCHAT_E2E_RUN_DIR;
  if (!runDir) throw new Error('UDPCHAT_E2E_RUN_DIR is not set: run the suite with node scripts/test.mjs integration');
  return path.join(runDir, 'history-reopen.json');
}
