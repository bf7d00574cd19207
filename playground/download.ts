/** A download link (an anchor styled as a button) for bytes the worker sent: off until offered. */
export class DownloadLink {
  private url: string | null = null;

  constructor(private readonly anchor: HTMLAnchorElement) {
    anchor.addEventListener('click', (e) => {
      if (!this.url) e.preventDefault();
    });
  }

  get offered(): boolean {
    return this.url !== null;
  }

  /** Point the link at `bytes`, saved as `name`; `step` is kept for tests and scripts. */
  offer(bytes: Uint8Array, name: string, step: number): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    this.anchor.href = this.url;
    this.anchor.download = name;
    this.anchor.setAttribute('aria-disabled', 'false');
    this.anchor.dataset.step = String(step);
  }

  /** Turn the link off (the checkpoint has no such file). */
  withdraw(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.anchor.removeAttribute('href');
    this.anchor.removeAttribute('download');
    this.anchor.setAttribute('aria-disabled', 'true');
    delete this.anchor.dataset.step;
  }
}
