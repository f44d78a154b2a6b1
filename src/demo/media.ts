/** Small real content: PCM WAV recordings and JSON transcripts, generated rather than shipped. */
import type { Random } from './random.js';

const SAMPLE_RATE = 8000;

/** A mono 16-bit PCM WAV of a few tones, like a short recorded prompt. */
export function wavRecording(random: Random, seconds: number): Buffer {
  const samples = Math.round(seconds * SAMPLE_RATE);
  const data = Buffer.alloc(samples * 2);
  const tones = [random.int(300, 900), random.int(300, 900), random.int(300, 900)];
  for (let i = 0; i < samples; i++) {
    const tone = tones[Math.floor((i / samples) * tones.length)] ?? 440;
    const envelope = Math.min(1, i / 400, (samples - i) / 400);
    const value = Math.sin((2 * Math.PI * tone * i) / SAMPLE_RATE) * 0.3 * envelope + (random.next() - 0.5) * 0.02;
    data.writeInt16LE(Math.round(value * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export interface TranscriptLine {
  speaker: string;
  text: string;
  offsetMs: number;
}

export function jsonTranscript(lines: TranscriptLine[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, ...extra, lines }, null, 2));
}
