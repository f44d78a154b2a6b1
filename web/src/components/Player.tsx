/**
 * The call player: an <audio> element whose src is the content URL, so the
 * browser streams and seeks with Range requests and a one-hour recording starts
 * at once; wavesurfer.js draws the waveform over that element. It is never given
 * the URL to fetch (it would download the whole file and swap the element's
 * source for a blob): small recordings are decoded here for their peaks, long
 * PCM WAV recordings are sampled with a few small Range requests, and other
 * long ones get a flat outline of their duration.
 */
import { useEffect, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';
import { formatDuration } from '../format';

/** Recordings up to this size are fetched whole to draw their real waveform. */
const DECODE_LIMIT = 4 * 1024 * 1024;
const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
const SKIP_SECONDS = 10;

export interface PlayerHandle {
  seek(seconds: number): void;
}

interface Props {
  src: string;
  label: string;
  contentLength: number;
  contentType: string;
  durationMs?: number | undefined;
  onTime?: (seconds: number) => void;
  handle?: (handle: PlayerHandle) => void;
}

function styleNonce(): string | undefined {
  return document.querySelector<HTMLMetaElement>('meta[name="ixv-style-nonce"]')?.content || undefined;
}

async function peaksOf(src: string, signal: AbortSignal): Promise<{ peaks: number[][]; duration: number }> {
  const bytes = await (await fetch(src, { signal, credentials: 'same-origin' })).arrayBuffer();
  const context = new OfflineAudioContext(1, 1, 8000);
  const buffer = await context.decodeAudioData(bytes);
  const channel = buffer.getChannelData(0);
  const buckets = 1000;
  const size = Math.max(1, Math.floor(channel.length / buckets));
  const peaks: number[] = [];
  for (let b = 0; b < buckets; b++) {
    let max = 0;
    for (let i = b * size; i < Math.min(channel.length, (b + 1) * size); i++) max = Math.max(max, Math.abs(channel[i] ?? 0));
    peaks.push(max);
  }
  return { peaks: [peaks], duration: buffer.duration };
}

/** Bars drawn for a long WAV, each from one small Range request. */
const SAMPLED_BARS = 160;
const SAMPLE_BYTES = 2048;
const SAMPLE_CONCURRENCY = 6;

async function range(src: string, start: number, length: number, signal: AbortSignal): Promise<DataView> {
  const res = await fetch(src, {
    signal,
    credentials: 'same-origin',
    headers: { range: `bytes=${start}-${start + length - 1}` },
  });
  if (res.status !== 206) throw new Error(`no range support (${res.status})`);
  return new DataView(await res.arrayBuffer());
}

/** Peaks of a 16-bit PCM WAV from samples spread over the file, without downloading it. */
async function sampledWavPeaks(src: string, size: number, signal: AbortSignal): Promise<{ peaks: number[][]; duration: number }> {
  const head = await range(src, 0, 4096, signal);
  const tag = (at: number) =>
    String.fromCharCode(head.getUint8(at), head.getUint8(at + 1), head.getUint8(at + 2), head.getUint8(at + 3));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file');
  let at = 12;
  let format: { channels: number; rate: number; bits: number } | undefined;
  let data: { start: number; size: number } | undefined;
  while (at + 8 <= head.byteLength && !data) {
    const chunkSize = head.getUint32(at + 4, true);
    if (tag(at) === 'fmt ' && head.getUint16(at + 8, true) === 1)
      format = {
        channels: head.getUint16(at + 10, true),
        rate: head.getUint32(at + 12, true),
        bits: head.getUint16(at + 22, true),
      };
    if (tag(at) === 'data') data = { start: at + 8, size: Math.min(chunkSize, size - at - 8) };
    at += 8 + chunkSize + (chunkSize % 2);
  }
  if (!format || !data || format.bits !== 16) throw new Error('not 16-bit PCM');
  const frame = 2 * format.channels;
  const peaks = new Array<number>(SAMPLED_BARS).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < SAMPLED_BARS) {
      const bar = next++;
      const offset = data.start + Math.floor((bar * data.size) / SAMPLED_BARS / frame) * frame;
      const view = await range(src, offset, Math.min(SAMPLE_BYTES, data.start + data.size - offset), signal);
      let max = 0;
      for (let i = 0; i + 1 < view.byteLength; i += 2) max = Math.max(max, Math.abs(view.getInt16(i, true)) / 32768);
      peaks[bar] = max;
    }
  };
  await Promise.all(Array.from({ length: SAMPLE_CONCURRENCY }, worker));
  return { peaks: [peaks], duration: data.size / frame / format.rate };
}

export default function Player({ src, label, contentLength, contentType, durationMs, onTime, handle }: Props) {
  const audio = useRef<HTMLAudioElement>(null);
  const waveform = useRef<HTMLDivElement>(null);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState((durationMs ?? 0) / 1000);
  const [speed, setSpeed] = useState(1);

  useEffect(() => {
    const media = audio.current;
    const container = waveform.current;
    if (!media || !container) return;
    const controller = new AbortController();
    let surfer: WaveSurfer | undefined;
    const draw = (peaks: number[][], seconds: number) => {
      if (controller.signal.aborted) return;
      const options: ConstructorParameters<typeof WaveSurfer>[0] = {
        container,
        media,
        peaks,
        duration: seconds,
        height: 72,
        waveColor: '#94a3b8',
        progressColor: '#1d4ed8',
        cursorColor: '#0f172a',
        barWidth: 2,
        barGap: 1,
        normalize: true,
      };
      const nonce = styleNonce();
      if (nonce) options.cspNonce = nonce;
      const created = WaveSurfer.create(options);
      surfer = created;
      setDuration((d) => d || seconds);
      // Drawn after the listener may have moved: show where playback is now, not at 0.
      created.once('redrawcomplete', () => media.dispatchEvent(new Event('timeupdate')));
    };
    const flat = () => {
      const seconds = durationMs ? durationMs / 1000 : media.duration || 1;
      draw([Array.from({ length: 200 }, () => 0.05)], seconds);
    };
    const peaks =
      contentLength <= DECODE_LIMIT
        ? peaksOf(src, controller.signal)
        : /wav/i.test(contentType)
          ? sampledWavPeaks(src, contentLength, controller.signal)
          : Promise.reject(new Error('no peaks for a long compressed recording'));
    peaks.then(
      (p) => draw(p.peaks, p.duration),
      () => flat(),
    );
    return () => {
      controller.abort();
      surfer?.destroy();
    };
  }, [src, contentLength, contentType, durationMs]);

  useEffect(() => {
    handle?.({
      seek(seconds) {
        const media = audio.current;
        if (media) media.currentTime = Math.max(0, seconds);
      },
    });
  }, [handle]);

  const media = () => audio.current;
  const toggle = () => {
    const m = media();
    if (!m) return;
    if (m.paused) void m.play();
    else m.pause();
  };
  const skip = (delta: number) => {
    const m = media();
    if (m) m.currentTime = Math.min(Math.max(0, m.currentTime + delta), m.duration || m.currentTime + delta);
  };
  const changeSpeed = (value: number) => {
    setSpeed(value);
    const m = media();
    if (m) m.playbackRate = value;
  };

  // Keyboard shortcuts, anywhere on the page but in form fields: space or k play/pause, j/← back, l/→ forward.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.altKey || event.ctrlKey || event.metaKey || document.querySelector('dialog[open]')) return;
      if (target?.closest('input, select, textarea, [contenteditable="true"]')) return;
      const onButton = target?.closest('button, a, summary') !== null && target?.closest('button, a, summary') !== undefined;
      if (event.key === 'k' || (event.key === ' ' && !onButton)) toggle();
      else if (event.key === 'j' || event.key === 'ArrowLeft') skip(-SKIP_SECONDS);
      else if (event.key === 'l' || event.key === 'ArrowRight') skip(SKIP_SECONDS);
      else return;
      event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  return (
    <section className="player" aria-label={`Player: ${label}`}>
      {/* biome-ignore lint/a11y/useMediaCaption: recorded calls have no captions; the transcript is beside the player */}
      <audio
        ref={audio}
        src={src}
        preload="metadata"
        onPlay={() => setPlaying(true)}
        onPause={() => setPlaying(false)}
        onEnded={() => setPlaying(false)}
        onDurationChange={(e) => Number.isFinite(e.currentTarget.duration) && setDuration(e.currentTarget.duration)}
        onTimeUpdate={(e) => {
          setTime(e.currentTarget.currentTime);
          onTime?.(e.currentTarget.currentTime);
        }}
        onSeeked={(e) => {
          setTime(e.currentTarget.currentTime);
          onTime?.(e.currentTarget.currentTime);
        }}
      />
      <div ref={waveform} className="waveform" />
      <div className="controls">
        <button type="button" onClick={() => skip(-SKIP_SECONDS)} aria-keyshortcuts="j ArrowLeft">
          −10 s
        </button>
        <button type="button" className="primary play" onClick={toggle} aria-keyshortcuts="k Space">
          {playing ? 'Pause' : 'Play'}
        </button>
        <button type="button" onClick={() => skip(SKIP_SECONDS)} aria-keyshortcuts="l ArrowRight">
          +10 s
        </button>
        <span className="time" aria-live="off">
          <span data-testid="current-time">{formatDuration(time)}</span> / {formatDuration(duration)}
        </span>
        <label className="speed">
          Speed
          <select value={speed} onChange={(e) => changeSpeed(Number(e.target.value))}>
            {SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s}×
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">Keys: Space or K play/pause · J or ← back 10 s · L or → forward 10 s</p>
    </section>
  );
}
