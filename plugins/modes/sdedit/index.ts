import { defineMode } from '../../../core/plugin-api.ts';

/** Placeholder, being written. */
export const sdedit = defineMode({
  name: 'sdedit',
  plan: ({ shape }) => ({ count: 0, itemShape: [shape.channels, shape.height, shape.width], framesPerItem: 1, latents: false }),
  async *run() {},
});

export default sdedit;
