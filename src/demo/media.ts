/**
 * Small real content: speech-like PCM WAV recordings and JSON transcripts,
 * generated rather than shipped. The recordings are 8 kHz mono 16-bit, like
 * telephony audio: two voices take turns, each a run of syllables (a glottal
 * pulse train through three formant resonators, with fricative noise) between
 * pauses, so players and waveform views show and play something real.
 */
import { Random } from './random.js';

export const SAMPLE_RATE = 8000;
const WAV_HEADER_BYTES = 44;
/** Scales the resonators' output to a speech level that peaks well below full scale. */
const GAIN = 100;

/** Bytes of a recording of `seconds`. */
export function wavSize(seconds: number): number {
  return WAV_HEADER_BYTES + Math.round(seconds * SAMPLE_RATE) * 2;
}

/** Seconds of audio in a WAV made by wavRecording (from its size). */
export function wavSeconds(bytes: Buffer): number {
  return bytes.readUInt32LE(40) / 2 / SAMPLE_RATE;
}

/** Vowel formants (F1, F2, F3 in Hz), a rough cross-speaker average. */
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440], // a
  [530, 1840, 2480], // e
  [270, 2290, 3010], // i
  [570, 840, 2410], // o
  [300, 870, 2240], // u
  [660, 1720, 2410], // æ
  [490, 1350, 1690], // ɝ
];

/** A two-pole resonator: one formant. */
class Resonator {
  private y1 = 0;
  private y2 = 0;
  private a = 0;
  private b1 = 0;
  private b2 = 0;

  tune(frequency: number, bandwidth: number): void {
    const r = Math.exp((-Math.PI * bandwidth) / SAMPLE_RATE);
    this.b1 = 2 * r * Math.cos((2 * Math.PI * frequency) / SAMPLE_RATE);
    this.b2 = -r * r;
    // Unity gain at the resonance, so every vowel comes out about as loud.
    this.a = (1 - r) * Math.sqrt(1 - 2 * r * Math.cos((4 * Math.PI * frequency) / SAMPLE_RATE) + r * r);
  }

  step(x: number): number {
    const y = this.a * x + this.b1 * this.y1 + this.b2 * this.y2;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** A mono 16-bit PCM WAV of `seconds` of two voices talking in turns; deterministic for `seed`. */
export function wavRecording(seed: number, seconds: number): Buffer {
  const random = new Random(seed);
  const samples = Math.round(seconds * SAMPLE_RATE);
  const out = Buffer.alloc(WAV_HEADER_BYTES + samples * 2);
  writeHeader(out, samples);
  // Little-endian hosts (every supported one) write samples straight into the buffer.
  const pcm = new Int16Array(out.buffer, out.byteOffset + WAV_HEADER_BYTES, samples);
  let noise = seed >>> 0;
  /** A cheap uniform value in [-0.5, 0.5) for noise (an LCG: the per-sample hot path). */
  const hiss = () => {
    noise = (Math.imul(noise, 1664525) + 1013904223) >>> 0;
    return noise / 4294967296 - 0.5;
  };
  const write = (at: number, value: number) => {
    const v = value + hiss() * 0.004;
    pcm[at] = (v > 1 ? 1 : v < -1 ? -1 : v) * 32767;
  };
  const f1r = new Resonator();
  const f2 = new Resonator();
  const f3 = new Resonator();
  const voices = [
    { pitch: 110 + random.int(0, 30), loudness: 0.9 }, // agent
    { pitch: 190 + random.int(0, 40), loudness: 0.7 }, // customer
  ];
  let speaker = 0;
  let i = 0;
  let phase = 0;
  while (i < samples) {
    // One turn: 1 to 6 s of words, then a pause while the other side starts.
    const voice = voices[speaker] as (typeof voices)[number];
    const turnEnd = Math.min(samples, i + Math.round((1 + random.next() * 5) * SAMPLE_RATE));
    while (i < turnEnd) {
      const syllables = random.int(1, 4);
      for (let s = 0; s < syllables && i < turnEnd; s++) {
        const length = Math.round((0.09 + random.next() * 0.17) * SAMPLE_RATE);
        const [f1, f2Hz, f3Hz] = random.pick(VOWELS);
        const shift = 1 + (voice.pitch - 110) / 800; // shorter vocal tracts, higher formants
        f1r.tune(f1 * shift, 90);
        f2.tune(f2Hz * shift, 110);
        f3.tune(f3Hz * shift, 170);
        const fricative = random.chance(0.35) ? Math.round(length * 0.3) : 0;
        const start = i;
        const end = Math.min(turnEnd, i + length);
        const pitchStart = voice.pitch * (0.9 + random.next() * 0.25);
        const pitchEnd = voice.pitch * (0.8 + random.next() * 0.2);
        for (; i < end; i++) {
          const t = (i - start) / length;
          const envelope = Math.min(1, t * 12, (1 - t) * 6);
          let excitation: number;
          if (i - start < fricative) excitation = hiss() * 0.6;
          else {
            phase += (pitchStart + (pitchEnd - pitchStart) * t) / SAMPLE_RATE;
            // A glottal pulse once per period, a little breath noise between.
            excitation = (phase >= 1 ? 6 : 0) + hiss() * 0.05;
            if (phase >= 1) phase -= 1;
          }
          const y = f3.step(f2.step(f1r.step(excitation)));
          write(i, y * envelope * voice.loudness * GAIN);
        }
      }
      // Between words.
      const gap = Math.min(turnEnd, i + Math.round((0.04 + random.next() * 0.16) * SAMPLE_RATE));
      for (; i < gap; i++) write(i, 0);
    }
    const pause = Math.min(samples, i + Math.round((0.3 + random.next() * 0.8) * SAMPLE_RATE));
    for (; i < pause; i++) write(i, 0);
    speaker = 1 - speaker;
  }
  // Fade the last 20 ms so players do not click at the end.
  const fade = Math.min(samples, 160);
  for (let k = 0; k < fade; k++) {
    const at = samples - fade + k;
    pcm[at] = (pcm[at] ?? 0) * (1 - k / fade);
  }
  return out;
}

function writeHeader(out: Buffer, samples: number): void {
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(SAMPLE_RATE, 24);
  out.writeUInt32LE(SAMPLE_RATE * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(samples * 2, 40);
}

export interface TranscriptLine {
  speaker: string;
  text: string;
  offsetMs: number;
}

export function jsonTranscript(lines: TranscriptLine[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, ...extra, lines }, null, 2));
}
