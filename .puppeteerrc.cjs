/**
 * Puppeteer drives the system's Chromium (/usr/bin/chromium, Debian's `chromium` package: it
 * ships the SwiftShader Vulkan driver our software WebGPU adapter needs). Skip puppeteer's own
 * browser download, so `npm ci` works on machines that reach only the npm registry.
 * @type {import('puppeteer').Configuration}
 */
module.exports = {
  skipDownload: true,
  chrome: { skipDownload: true },
  'chrome-headless-shell': { skipDownload: true },
  firefox: { skipDownload: true },
};
