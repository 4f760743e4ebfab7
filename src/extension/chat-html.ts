/**
 * The chat panel's page and its Content Security Policy, as pure functions of the webview's resource origin, a
 * nonce and the bundle's URIs. No `vscode` import: the webview harness renders the very same page from this
 * module, so a weakened CSP fails a test there.
 */

export interface ChatHtmlParts {
  /** `webview.cspSource`: the origin of the webview's own resources (the bundle and the saved images). */
  cspSource: string;
  /** Fresh per page load, from `crypto.randomBytes`. */
  nonce: string;
  /** `asWebviewUri` of dist/webview.js and dist/webview.css. */
  scriptUri: string;
  styleUri: string;
}

/**
 * Scripts and styles only by nonce, images only from the webview's resource origin (the saved image files), no
 * data: or blob: URLs, no connections, frames, forms or plugins (all fall back to `default-src 'none'`).
 */
export function chatCsp({ cspSource, nonce }: Pick<ChatHtmlParts, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function renderChatHtml(parts: ChatHtmlParts): string {
  const nonce = escapeAttribute(parts.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(chatCsp(parts))}">
<meta property="csp-nonce" content="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}" nonce="${nonce}">
<title>UDP Chat</title>
</head>
<body>
<main id="app" aria-label="UDP Chat"></main>
<script nonce="${nonce}" src="${escapeAttribute(parts.scriptUri)}"></script>
</body>
</html>`;
}

/** The inputs are ours (URIs and base64), but an attribute value is escaped whatever it holds. */
function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
