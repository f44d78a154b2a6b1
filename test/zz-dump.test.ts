import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { build } from './helpers/app.js';

it('dump', async () => {
  const s = await build();
  try {
    writeFileSync('/tmp/oa/openapi.json', JSON.stringify(s.app.swagger(), null, 2));
  } catch (e) {
    console.log('ERR', e);
  }
  await s.stop();
});
