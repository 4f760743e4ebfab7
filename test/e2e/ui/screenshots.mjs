// Screenshots of the chat for the README (UDPCHAT_E2E_SCREENSHOT=1): the workbench in a colour theme, at 1280×900,
// with the side bar widened once as people give a chat, saved into docs/images/.
import fs from 'node:fs';
import path from 'node:path';

/** The themes the README shows, by the name the theme picker lists. */
export const THEMES = Object.freeze({ dark: 'Dark Modern', light: 'Light Modern' });

/** How much wider (CSS px) than the default the side bar is dragged for the first screenshot. */
const WIDER_SIDE_BAR_PX = { chat: 160, snippets: 200 };

/**
 * Returns `shoot(theme, file, arrange)`: switches to `theme` through the palette as a user does, opens the chat,
 * widens the side bar (the first time only, by `WIDER_SIDE_BAR_PX[kind]`), lets `arrange(page)` set the scene,
 * and saves the screenshot to `file`, restoring the viewport after.
 */
export function screenshotter(page, wb, kind) {
  let widened = false;
  return async function shoot(theme, file, arrange = async () => {}) {
    await wb.runCommand(page, 'Notifications: Clear All Notifications');
    await wb.runCommand(page, 'Preferences: Color Theme');
    const input = page.locator('.quick-input-widget input');
    await input.fill(THEMES[theme]);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: THEMES[theme] }).first().waitFor();
    await input.press('Enter');
    await wb.runCommand(page, 'UDP Chat: Open Chat');
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 1280, height: 900 });
    if (!widened) {
      // Drag the sash on the side bar's right edge.
      const box = await page.locator('.part.sidebar').boundingBox();
      if (box) {
        await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width + WIDER_SIDE_BAR_PX[kind], box.y + box.height / 2, { steps: 8 });
        await page.mouse.up();
      }
      widened = true;
    }
    await arrange(page);
    await page.waitForTimeout(2_000); // the theme and the webview's variables settle
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    if (viewport) await page.setViewportSize(viewport);
    console.log(`       saved ${path.relative(process.cwd(), file)} (${(fs.statSync(file).size / 1024).toFixed(0)} KB)`);
  };
}
