// The UI modules' two ways to assert: at once (`check`), or by polling the workbench until it holds (`until`).

/** Throws `message` unless `condition` holds. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Polls `test` every 200 ms until it returns something truthy (resolved with), or throws after `timeoutMs`. */
export async function until(what, test, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await test();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
