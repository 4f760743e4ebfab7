// The chat panel's page outside VS Code, shared by the webview suite (webview-harness.mjs) and the first-paint
// benchmark (webview-paint.mjs): the page the extension serves, rendered by the extension's own renderChatHtml
// (src/extension/chat-html.ts, loaded through tsx: the same CSP, the same nonce'd stylesheet and script), from a
// tiny HTTP server on 127.0.0.1 that also serves the images as the webview's resource origin would, the theme
// variables VS Code sets, and a stub `acquireVsCodeApi` that records what the webview posts.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { CHROMIUM_ARGS } from './harness/workbench.mjs';

export { CHROMIUM_ARGS };

// The page and its CSP come from the code the extension runs, never from a copy here.
const { renderChatHtml } = await tsImport('../../src/extension/chat-html.ts', import.meta.url);

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
export const { chromium } = require('playwright-core');

export const DIST = path.join(root, 'dist');
export const CHROMIUM = process.env.UDPCHAT_CHROMIUM || '/usr/bin/chromium';
export const STEP_TIMEOUT_MS = 5_000; // one wait for the page to react; everything here is local and synchronous-ish

/** Stops with a failed count when the bundle is missing (this runs against dist/, it builds nothing). */
export function requireDist(suite) {
  for (const file of ['webview.js', 'webview.css']) {
    if (!fs.existsSync(path.join(DIST, file))) {
      console.error(`dist/${file} is missing: run \`node esbuild.mjs\` first`);
      console.log(`${suite}: 0 passed, 1 failed`);
      process.exit(1);
    }
  }
}

// ---- themes: a subset of the variables VS Code sets on <html>, from Dark Modern / Light Modern / Dark HC --------

const FONT = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
  '--vscode-editor-font-size': '13px',
};
export const THEMES = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...FONT,
      '--vscode-foreground': '#cccccc',
      '--vscode-editor-foreground': '#cccccc',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-sideBar-background': '#181818',
      '--vscode-sideBarSectionHeader-foreground': '#cccccc',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-widget-border': '#313131',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-input-background': '#313131',
      '--vscode-input-foreground': '#cccccc',
      '--vscode-input-border': '#3c3c3c',
      '--vscode-input-placeholderForeground': '#989898',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-errorForeground': '#f85149',
      '--vscode-editorWarning-foreground': '#cca700',
      '--vscode-textLink-foreground': '#4daafc',
      '--vscode-textLink-activeForeground': '#4daafc',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-progressBar-background': '#0078d4',
      '--vscode-testing-iconPassed': '#73c991',
      '--vscode-charts-green': '#89d185',
      '--vscode-scrollbarSlider-background': 'rgba(121, 121, 121, 0.4)',
      '--vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
      '--vscode-scrollbarSlider-activeBackground': 'rgba(191, 191, 191, 0.4)',
      '--vscode-editor-findMatchBackground': '#9e6a03',
      '--vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
      '--vscode-textCodeBlock-background': 'rgba(10, 10, 10, 0.4)',
      '--vscode-textPreformat-foreground': '#d7ba7d',
      '--vscode-textBlockQuote-background': '#2b2b2b',
      '--vscode-textBlockQuote-border': '#616161',
      '--vscode-editorLineNumber-foreground': '#6e7681',
      '--vscode-debugTokenExpression-name': '#c586c0',
      '--vscode-debugTokenExpression-string': '#ce9178',
      '--vscode-debugTokenExpression-number': '#b5cea8',
      '--vscode-debugTokenExpression-boolean': '#4e94ce',
      '--vscode-symbolIcon-functionForeground': '#b180d7',
      '--vscode-symbolIcon-classForeground': '#ee9d28',
      '--vscode-symbolIcon-variableForeground': '#75beff',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...FONT,
      '--vscode-foreground': '#3b3b3b',
      '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-editor-background': '#ffffff',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-sideBarSectionHeader-foreground': '#3b3b3b',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
      '--vscode-editorWidget-background': '#f3f3f3',
      '--vscode-input-background': '#ffffff',
      '--vscode-input-foreground': '#3b3b3b',
      '--vscode-input-border': '#cecece',
      '--vscode-input-placeholderForeground': '#767676',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-errorForeground': '#e51400',
      '--vscode-editorWarning-foreground': '#bf8803',
      '--vscode-textLink-foreground': '#005fb8',
      '--vscode-textLink-activeForeground': '#005fb8',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-progressBar-background': '#005fb8',
      '--vscode-testing-iconPassed': '#388a34',
      '--vscode-charts-green': '#388a34',
      '--vscode-scrollbarSlider-background': 'rgba(100, 100, 100, 0.4)',
      '--vscode-scrollbarSlider-hoverBackground': 'rgba(100, 100, 100, 0.7)',
      '--vscode-scrollbarSlider-activeBackground': 'rgba(0, 0, 0, 0.6)',
      '--vscode-editor-findMatchBackground': '#a8ac94',
      '--vscode-editor-findMatchHighlightBackground': 'rgba(234, 92, 0, 0.33)',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
      '--vscode-textCodeBlock-background': 'rgba(220, 220, 220, 0.4)',
      '--vscode-textPreformat-foreground': '#a31515',
      '--vscode-textBlockQuote-background': '#f2f2f2',
      '--vscode-textBlockQuote-border': '#e5e5e5',
      '--vscode-editorLineNumber-foreground': '#6e7681',
      '--vscode-debugTokenExpression-name': '#9b46b0',
      '--vscode-debugTokenExpression-string': '#a31515',
      '--vscode-debugTokenExpression-number': '#098658',
      '--vscode-debugTokenExpression-boolean': '#0000ff',
      '--vscode-symbolIcon-functionForeground': '#652d90',
      '--vscode-symbolIcon-classForeground': '#d67e00',
      '--vscode-symbolIcon-variableForeground': '#007acc',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...FONT,
      '--vscode-foreground': '#ffffff',
      '--vscode-editor-foreground': '#ffffff',
      '--vscode-editor-background': '#000000',
      '--vscode-sideBar-background': '#000000',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-contrastActiveBorder': '#f38518',
      '--vscode-input-background': '#000000',
      '--vscode-input-foreground': '#ffffff',
      '--vscode-input-border': '#6fc3df',
      '--vscode-input-placeholderForeground': 'rgba(255, 255, 255, 0.7)',
      '--vscode-dropdown-border': '#6fc3df',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000',
      '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
      '--vscode-errorForeground': '#f48771',
      '--vscode-editorWarning-foreground': '#ffd370',
      '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-focusBorder': '#f38518',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-progressBar-background': '#6fc3df',
      '--vscode-testing-iconPassed': '#73c991',
      '--vscode-editor-findMatchBorder': '#f38518',
      '--vscode-editor-findMatchHighlightBorder': '#f38518',
      '--vscode-list-focusOutline': '#f38518',
      '--vscode-textPreformat-foreground': '#ffffff',
      '--vscode-textBlockQuote-border': '#ffffff',
      '--vscode-editorLineNumber-foreground': '#ffffff',
      '--vscode-debugTokenExpression-name': '#ffffff',
      '--vscode-debugTokenExpression-string': '#ce9178',
      '--vscode-debugTokenExpression-number': '#89d185',
      '--vscode-debugTokenExpression-boolean': '#75bdfe',
      '--vscode-symbolIcon-functionForeground': '#b180d7',
      '--vscode-symbolIcon-classForeground': '#ee9d28',
      '--vscode-symbolIcon-variableForeground': '#75beff',
    },
  },
};

/** What VS Code injects into every webview before the page's own styles (trimmed): the body padding included. */
const VSCODE_DEFAULT_STYLES = `
html { scrollbar-color: var(--vscode-scrollbarSlider-background) var(--vscode-editor-background); }
body { background-color: transparent; color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family);
  font-weight: var(--vscode-font-weight); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }
img, video { max-width: 100%; max-height: 100%; }
a, a code { color: var(--vscode-textLink-foreground); }
::-webkit-scrollbar { width: 10px; height: 10px; }
::-webkit-scrollbar-thumb { background-color: var(--vscode-scrollbarSlider-background); }
::-webkit-scrollbar-thumb:hover { background-color: var(--vscode-scrollbarSlider-hoverBackground); }
`;

// ---- the page, as the extension serves it -----------------------------------------------------------------------

export function pageHtml({ origin, nonce, theme }) {
  const html = renderChatHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css` });
  // What VS Code adds to every webview: its default styles (by the page's nonce) and the theme kind on <body>.
  const withDefaults = html
    .replace('<head>', `<head>\n<style id="_defaultStyles" nonce="${nonce}">${VSCODE_DEFAULT_STYLES}</style>`)
    .replace('<body>', `<body class="${THEMES[theme].bodyClass}" data-vscode-theme-kind="${THEMES[theme].bodyClass}">`);
  if (!withDefaults.includes('_defaultStyles') || !withDefaults.includes('data-vscode-theme-kind')) {
    throw new Error('renderChatHtml no longer has a plain <head> and <body> to add VS Code\'s defaults to');
  }
  return withDefaults;
}

/** PNGs served as the webview's resource origin serves saved image files (`asWebviewUri`). */
export const IMAGES = new Map();
export const imageUrl = (origin, name) => `${origin}/images/${name}.png`;

export function startServer() {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const origin = `http://127.0.0.1:${server.address().port}`;
    if (url.pathname === '/index.html') {
      const nonce = crypto.randomBytes(16).toString('base64');
      const theme = THEMES[url.searchParams.get('theme')] ? url.searchParams.get('theme') : 'dark';
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(pageHtml({ origin, nonce, theme }));
      return;
    }
    const match = /^\/dist\/(webview\.(?:js|css)(?:\.map)?)$/.exec(url.pathname);
    if (match !== null) {
      const type = match[1].endsWith('.js') ? 'text/javascript' : match[1].endsWith('.css') ? 'text/css' : 'application/json';
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(fs.readFileSync(path.join(DIST, match[1])));
      return;
    }
    const image = /^\/images\/([a-z-]+)\.png$/.exec(url.pathname);
    if (image !== null && IMAGES.has(image[1])) {
      response.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
      response.end(IMAGES.get(image[1]));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end(); // the browser asks; VS Code's webviews have none
      return;
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- the browser ---------------------------------------------------------------------------------------------

/** Installed before the page's scripts: the VS Code API stub, the CSS variables of the theme, CSP listeners. */
function initScript({ vars, savedState }) {
  window.__posted = [];
  window.__violations = [];
  window.__vscodeState = savedState;
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => {
        // A Uint8Array (a pasted image's bytes) is recorded as what it is, so a check can tell it from a plain array.
        const copy = JSON.parse(JSON.stringify(message, (_key, value) => (value instanceof Uint8Array ? { uint8Array: Array.from(value) } : value)));
        window.__posted.push(copy);
        // A fake host a check installs (history checks) answers here, as the extension would.
        window.__onPost?.(copy);
      },
      getState: () => window.__vscodeState,
      setState: (state) => {
        window.__vscodeState = JSON.parse(JSON.stringify(state));
        return state;
      },
    });
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
  });
  // VS Code sets the theme variables on <html> through the CSSOM, which the CSP allows. Init scripts run before
  // <html> exists: set them as soon as it does.
  const applyTheme = () => {
    if (document.documentElement === null) return false;
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
    return true;
  };
  if (!applyTheme()) {
    const observer = new MutationObserver(() => applyTheme() && observer.disconnect());
    observer.observe(document, { childList: true });
  }
}

export async function openPage(browser, server, { theme = 'dark', savedState, width = 900, height = 720 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const log = { console: [], errors: [], dialogs: [] };
  page.on('console', (m) => log.console.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(initScript, { vars: THEMES[theme].vars, savedState });
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html?theme=${theme}`);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
  return { page, context, log };
}

export const hostPost = (page, message) => page.evaluate((m) => window.postMessage(m, '*'), message);
export const posted = (page) => page.evaluate(() => window.__posted);
/** What the page asked for, without its running reports (`viewed`: the newest message in view; `typing`). */
export const postedActions = (page) => page.evaluate(() => window.__posted.filter((m) => m.type !== 'viewed' && m.type !== 'typing'));
export const clearPosted = (page) => page.evaluate(() => (window.__posted.length = 0));
export const composerValue = (page) => page.evaluate(() => document.getElementById('composer').value);
export const nextFrame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));

export function cspProblems(log, violations) {
  const fromConsole = log.console
    .filter((m) => /Content Security Policy|Refused to/i.test(m.text))
    .map((m) => `console: ${m.text}`);
  return [...fromConsole, ...violations.map((v) => `event: ${v}`), ...log.errors.map((e) => `pageerror: ${e}`)];
}
