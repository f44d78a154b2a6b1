/** Demo recordings (src/demo): real 8 kHz speech-like audio, exactly as long as their stated duration. */
import { describe, expect, it } from 'vitest';
import { generateInteractions } from '../../src/demo/contact-center.js';
import { SAMPLE_RATE, wavRecording, wavSeconds } from '../../src/demo/media.js';

/** RMS level of each 20 ms frame. */
function frameLevels(wav: Buffer): number[] {
  const pcm = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) / 2);
  const frame = SAMPLE_RATE / 50;
  const levels: number[] = [];
  for (let start = 0; start + frame <= pcm.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += ((pcm[i] ?? 0) / 32768) ** 2;
    levels.push(Math.sqrt(sum / frame));
  }
  return levels;
}

describe('demo recordings', () => {
  it('are 8 kHz mono 16-bit PCM WAV of the asked length', () => {
    const wav = wavRecording(42, 7);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.length).toBe(44 + 7 * 8000 * 2);
    expect(wavSeconds(wav)).toBe(7);
  });

  it('sound like a conversation: voiced syllables between pauses, never clipped', () => {
    const levels = frameLevels(wavRecording(7, 60));
    const silent = levels.filter((l) => l < 0.005).length / levels.length;
    const loud = levels.filter((l) => l > 0.03).length / levels.length;
    expect(silent).toBeGreaterThan(0.15); // pauses between words and turns
    expect(silent).toBeLessThan(0.7);
    expect(loud).toBeGreaterThan(0.2); // and speech most of the rest
    expect(Math.max(...levels)).toBeLessThan(0.9);
    // Level changes from frame to frame as syllables start and stop.
    const changes = levels.slice(1).filter((l, i) => Math.abs(l - (levels[i] ?? 0)) > 0.02).length;
    expect(changes).toBeGreaterThan(100);
  });

  it('are the same for the same seed and differ between seeds', () => {
    expect(wavRecording(1, 2).equals(wavRecording(1, 2))).toBe(true);
    expect(wavRecording(1, 2).equals(wavRecording(2, 2))).toBe(false);
  });

  it('match the duration, size and call length the generated records state', () => {
    const now = Date.UTC(2025, 5, 1);
    let audio = 0;
    for (const { record, content } of generateInteractions({
      seed: 7,
      agents: 5,
      contacts: 50,
      interactions: 150,
      fromMs: now - 86_400_000,
      toMs: now,
      contentRatio: 0.5,
      messagesPerChat: 4,
    })) {
      for (const item of content) {
        expect(item.bytes().length, item.contentKey).toBe(item.size);
        if (item.contentType !== 'audio/wav') continue;
        audio++;
        const seconds = wavSeconds(item.bytes());
        expect(item.durationMs).toBe(seconds * 1000);
        expect(seconds).toBeGreaterThanOrEqual(3);
        expect(seconds).toBeLessThanOrEqual(120);
        if (item.type === 'callRecording') {
          expect(record.callDuration).toBe(seconds);
          expect(Date.parse(String(record.endDate)) - Date.parse(record.startDate)).toBe(seconds * 1000);
        }
      }
    }
    expect(audio).toBeGreaterThan(10);
  });
});
