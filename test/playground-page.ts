// The playground page in headless Chromium, driven as a person drives it (test/playground*.test.ts):
// the site built and served, a browser with or without WebGPU, downloads into a directory, a
// screenshot of every state into a temporary directory (printed) so a person can look at them.
import { mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer';
import { expect } from 'vitest';
// @ts-expect-error: a plain ES module script without declarations
import { buildPlayground, servePlayground } from '../scripts/playground.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export class PlaygroundPage {
  readonly work = mkdtempSync(join(tmpdir(), 'genlab-playground-'));
  readonly shots = join(this.work, 'screenshots');
  readonly downloads = join(this.work, 'downloads');
  readonly pageErrors: string[] = [];
  page!: Page;
  private server!: Server;
  private browser!: Browser;
  private shot = 0;

  /** Build and serve the site, open it in Chromium (`webgpu`: with SwiftShader's WebGPU, else with WebGPU switched off). */
  async open(webgpu: boolean): Promise<void> {
    for (const d of [this.shots, this.downloads]) mkdirSync(d);
    const dir = await buildPlayground(join(this.work, 'site'));
    this.server = await servePlayground(dir, 0);
    const gpu = webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'] : ['--disable-features=WebGPU'];
    this.browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', ...gpu, '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    this.page = await this.browser.newPage();
    await this.page.setViewport({ width: 1200, height: 900 });
    this.page.on('pageerror', (e) => this.pageErrors.push(String(e)));
    const cdp = await this.page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: this.downloads });
    await this.page.goto(`http://localhost:${(this.server.address() as AddressInfo).port}/`);
    await this.waitForState(['idle'], 60_000);
    console.log(`playground screenshots: ${this.shots}`);
  }

  async close(): Promise<void> {
    await this.browser?.close();
    this.server?.close();
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(this.shots, `${String(++this.shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  waitForState(states: string[], timeout = 120_000) {
    return this.page.waitForFunction((s: string[]) => s.includes(document.getElementById('status')!.dataset.state!), { timeout }, states);
  }

  text(selector: string): Promise<string | null> {
    return this.page.$eval(selector, (e) => e.textContent);
  }

  data(selector: string, key: string): Promise<string | undefined> {
    return this.page.$eval(selector, (e, k) => (e as HTMLElement).dataset[k as string], key);
  }

  gridUpdates(): Promise<number> {
    return this.page.$eval('#samples', (e) => Number((e as HTMLElement).dataset.updates ?? 0));
  }

  async gridPicture(): Promise<Buffer> {
    return Buffer.from(await (await this.page.$('#samples'))!.screenshot({ encoding: 'binary' }));
  }

  async plotPoints(): Promise<Record<string, number>> {
    return (await this.page.$$eval('#plots canvas', (cs) => Object.fromEntries(cs.map((c) => [(c as HTMLElement).dataset.loss, Number((c as HTMLElement).dataset.points)])))) as Record<string, number>;
  }

  /** Fill the form (model, device, and fields by id: batch, steps, grid interval, configuration keys). */
  async setUp(model: string, device: string, fields: Record<string, string>): Promise<void> {
    await this.page.select('#model', model);
    await this.page.select('#device-choice', device);
    await this.fill(fields);
  }

  /** Set fields by id, leaving the model (choosing it again would reset its configuration). */
  async fill(fields: Record<string, string>): Promise<void> {
    for (const [id, value] of Object.entries(fields)) {
      await this.page.$eval(`#${id}`, (e, v) => ((e as HTMLInputElement).value = v as string), value);
    }
  }

  /** Start a run with the keyboard (focus Train, press Enter) and wait for it to end without an error. */
  async trainToEnd(): Promise<void> {
    await this.page.focus('#train');
    await this.page.keyboard.press('Enter');
    await this.waitForState(['done', 'failed']);
    expect(await this.text('#error')).toBe('');
  }

  /** Pick files in a file input (as the file dialog does). */
  async upload(selector: string, ...paths: string[]): Promise<void> {
    const input = (await this.page.$(selector)) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(...paths);
  }

  /** Click Evaluate and wait for the report; returns its numbers. */
  async evaluate(n: number): Promise<Record<string, any>> {
    await this.page.$eval('#eval-n', (e, v) => ((e as HTMLInputElement).value = String(v)), n);
    await this.page.click('#evaluate');
    await this.waitForState(['evaluated', 'failed'], 300_000);
    expect(await this.text('#error')).toBe('');
    return JSON.parse((await this.data('#eval-report', 'report'))!);
  }
}
