/**
 * The test run's own S3 (scripts/ceph-s3.mjs) when its OSD stops answering:
 * RGW then holds every request without failing it, which CI saw as three test
 * files' hooks timing out with nothing said (session 14). probeS3 must name
 * the stall within its deadline, and diagnoseCeph must point at the OSD. This
 * test starts a Ceph of its own: stopping the run's would stall its neighbours.
 * Backend-independent: run in the SQLite half only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CephS3, diagnoseCeph, probeS3, startCephS3 } from '../../scripts/ceph-s3.mjs';
import { S3_UNAVAILABLE } from '../helpers/s3.js';
import { BACKEND } from '../helpers/server.js';

describe.skipIf(BACKEND !== 'sqlite' || S3_UNAVAILABLE !== undefined)(
  `an S3 whose OSD stops answering (run on SQLite only)${S3_UNAVAILABLE ? ` (${S3_UNAVAILABLE})` : ''}`,
  () => {
    let ceph: CephS3;
    let osd: number;
    beforeAll(async () => {
      ceph = await startCephS3({ timeoutMs: 40_000 });
      // run/pids: the monitor's, the OSD's, the gateway's, in the order they started.
      osd = Number(
        readFileSync(join(ceph.dir, 'run', 'pids'), 'utf8')
          .trim()
          .split(/\s+/)[1],
      );
    });
    afterAll(async () => {
      if (osd) process.kill(osd, 'SIGCONT');
      await ceph?.stop();
    });

    it('is named by probeS3 within its deadline and diagnosed as an OSD that does not answer', async () => {
      expect(await probeS3(ceph, 15_000)).toBeUndefined();
      expect(diagnoseCeph(ceph.dir)).toMatch(/admin sockets: osd\.0 answers, client\.rgw\.a answers/);

      process.kill(osd, 'SIGSTOP');
      const started = Date.now();
      expect(await probeS3(ceph, 3_000)).toBe("no answer to a bucket's creation and removal within 3 s");
      // The deadline holds: the probe does not wait for the SDK's own retries or a socket timeout.
      expect(Date.now() - started).toBeLessThan(30_000);
      const diagnosis = diagnoseCeph(ceph.dir);
      expect(diagnosis).toMatch(new RegExp(`ceph-osd ${osd} state T`));
      expect(diagnosis).toMatch(/osd\.0 does not answer/);

      process.kill(osd, 'SIGCONT');
      expect(await probeS3(ceph, 30_000)).toBeUndefined();
    });
  },
);
