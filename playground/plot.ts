/** Live loss plots: one small canvas per loss name, redrawn at most once a frame. */

const WIDTH = 320;
const HEIGHT = 150;
const MARGIN = { left: 48, right: 8, top: 8, bottom: 20 };

interface Series {
  steps: number[];
  values: number[];
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
}

export class LossPlots {
  private readonly series = new Map<string, Series>();
  private frame = 0;

  constructor(private readonly container: HTMLElement) {}

  clear(): void {
    this.series.clear();
    this.container.replaceChildren();
  }

  add(step: number, values: Record<string, number>): void {
    for (const [name, value] of Object.entries(values)) {
      const s = this.series.get(name) ?? this.create(name);
      s.steps.push(step);
      s.values.push(value);
    }
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      for (const [name, s] of this.series) this.draw(name, s);
    });
  }

  private create(name: string): Series {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH * devicePixelRatio;
    canvas.height = HEIGHT * devicePixelRatio;
    canvas.style.width = `${WIDTH}px`;
    canvas.style.height = `${HEIGHT}px`;
    canvas.setAttribute('role', 'img');
    canvas.dataset.loss = name;
    const caption = document.createElement('figcaption');
    figure.append(canvas, caption);
    this.container.append(figure);
    const s = { steps: [], values: [], canvas, caption };
    this.series.set(name, s);
    return s;
  }

  private draw(name: string, { steps, values, canvas, caption }: Series): void {
    const last = values[values.length - 1]!;
    const text = `${name}: ${fmt(last)} at step ${steps[steps.length - 1]}`;
    caption.textContent = text;
    canvas.setAttribute('aria-label', `Plot of ${name} over ${values.length} readings; ${text}`);
    canvas.dataset.points = String(values.length);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    const finite = values.filter(Number.isFinite);
    let lo = finite.reduce((a, b) => Math.min(a, b), Infinity);
    let hi = finite.reduce((a, b) => Math.max(a, b), -Infinity);
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
    const s0 = steps[0]!;
    const s1 = Math.max(steps[steps.length - 1]!, s0 + 1);
    const w = WIDTH - MARGIN.left - MARGIN.right;
    const h = HEIGHT - MARGIN.top - MARGIN.bottom;
    const x = (s: number) => MARGIN.left + ((s - s0) / (s1 - s0)) * w;
    const y = (v: number) => MARGIN.top + (1 - (v - lo) / (hi - lo)) * h;
    ctx.strokeStyle = '#999';
    ctx.strokeRect(MARGIN.left, MARGIN.top, w, h);
    ctx.fillStyle = '#333';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.fillText(fmt(hi), MARGIN.left - 4, MARGIN.top + 8);
    ctx.fillText(fmt(lo), MARGIN.left - 4, MARGIN.top + h);
    ctx.textAlign = 'center';
    ctx.fillText(String(s0), MARGIN.left, HEIGHT - 6);
    ctx.fillText(String(s1), MARGIN.left + w, HEIGHT - 6);
    ctx.strokeStyle = '#0b57d0';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (i === 0 || !Number.isFinite(values[i - 1]!)) ctx.moveTo(x(steps[i]!), y(v));
      else ctx.lineTo(x(steps[i]!), y(v));
    });
    if (values.length === 1) ctx.arc(x(steps[0]!), y(values[0]!), 2, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(4);
}
