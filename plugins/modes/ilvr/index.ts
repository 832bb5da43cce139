import { defineMode } from '../../../core/plugin-api.ts';

/** Placeholder, being written. */
export const ilvr = defineMode({
  name: 'ilvr',
  plan: ({ shape }) => ({ count: 0, itemShape: [shape.channels, shape.height, shape.width], framesPerItem: 1, latents: false }),
  async *run() {},
});

export default ilvr;
