import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listImages } from '../core/io/images.ts';
import { tempDirSync } from '../test/support/fixtures.ts';
import { checkLabelRange, classAccuracy } from './class-accuracy.ts';
import { sampleLabels } from './sample-labels.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A folder with these (empty) image files and run records: sampleLabels reads names and records only. */
function folder(files: readonly string[], records: Record<string, unknown> = {}): string {
  const dir = tempDirSync('ddim-labels-');
  dirs.push(dir);
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
  }
  for (const [name, record] of Object.entries(records)) writeFileSync(join(dir, name), typeof record === 'string' ? record : JSON.stringify(record));
  return dir;
}

const NAMES = ['a', 'b', 'c'];
const labelsOf = (dir: string) => {
  const files = listImages(dir);
  const found = sampleLabels(files);
  return { found, byFile: Object.fromEntries(files.map((file, i) => [file.slice(dir.length + 1), found.labels[i]])) };
};

describe('sampleLabels', () => {
  test('reads class{c}/ folder names, at any depth, and leaves other images unlabelled', () => {
    const dir = folder(['class0/0.png', 'class2/7.png', 'run/class1/x.png', 'loose.png', 'classy/0.png']);
    const { found, byFile } = labelsOf(dir);
    expect(byFile).toEqual({ 'class0/0.png': 0, 'class2/7.png': 2, 'run/class1/x.png': 1, 'loose.png': -1, 'classy/0.png': -1 });
    expect(found.labelled).toBe(3);
    expect(found.largest).toEqual({ file: join(dir, 'class2/7.png'), label: 2 });
    expect(found.names).toBeUndefined();
  });

  test('gives {i}.png the class of item i from the run record\'s runs, and none beyond them', () => {
    const labels = { names: NAMES, runs: [[2, 2], [0, 1], [1, 3]] };
    const dir = folder(['0.png', '1.png', '2.png', '3.png', '5.png', '6.png', 'other.png'], { 'run.json': { fingerprint: 'f', labels } });
    const { found, byFile } = labelsOf(dir);
    expect(byFile).toEqual({ '0.png': 2, '1.png': 2, '2.png': 0, '3.png': 1, '5.png': 1, '6.png': -1, 'other.png': -1 });
    expect(found.names).toEqual(NAMES);
    expect(found.recorded).toEqual([{ file: `${dir}/run.json`, classes: 3 }]);
  });

  test('reads shard records alike and refuses records of one folder that disagree', () => {
    const labels = { names: NAMES, runs: [[1, 4]] };
    const shards = folder(['0.png', '3.png'], { 'run.shard-0-of-2.json': { labels }, 'run.shard-1-of-2.json': { labels } });
    expect(labelsOf(shards).byFile).toEqual({ '0.png': 1, '3.png': 1 });
    const mixed = folder(['0.png'], { 'run.shard-0-of-2.json': { labels }, 'run.shard-1-of-2.json': { labels: { names: NAMES, runs: [[2, 4]] } } });
    expect(() => labelsOf(mixed)).toThrow(/run\.shard-0-of-2\.json and .*run\.shard-1-of-2\.json record different labels/);
  });

  test('refuses malformed labels in one line that names the file and the valid form', () => {
    const cases: [unknown, RegExp][] = [
      ['x', /is not an object/],
      [{ runs: [[0, 1]] }, /no "names" list/],
      [{ names: NAMES, runs: [] }, /no "runs" list/],
      [{ names: NAMES, runs: [[0, 0]] }, /run 0 is not a \[class, count\] pair/],
      [{ names: NAMES, runs: [[0, 2], [1.5, 1]] }, /run 1 is not a \[class, count\] pair/],
      [{ names: NAMES, runs: [[3, 1]] }, /run 0 has class 3, outside 0\.\.2 of its 3 names/],
    ];
    for (const [labels, why] of cases) {
      const dir = folder(['0.png'], { 'run.json': { labels } });
      let message = '';
      try {
        labelsOf(dir);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(why);
      expect(message).toContain(`${dir}/run.json: "labels"`);
      expect(message).toContain('{ "names": [one per class], "runs": [[class, count], …] }');
      expect(message).not.toContain('\n');
    }
  });
});

describe('checkLabelRange and classAccuracy', () => {
  test('refuse a recorded class count or a folder class the classifier does not have', () => {
    const recorded = sampleLabels(listImages(folder(['0.png'], { 'run.json': { labels: { names: NAMES, runs: [[0, 1]] } } })));
    expect(() => checkLabelRange(recorded, 3, 'clf.onnx')).not.toThrow();
    expect(() => checkLabelRange(recorded, 10, 'clf.onnx')).toThrow(/labels items with 3 classes, but the classifier clf\.onnx has 10 \(0\.\.9\)/);
    const folders = sampleLabels(listImages(folder(['class0/0.png', 'class12/0.png'])));
    expect(() => checkLabelRange(folders, 12, 'clf.onnx')).toThrow(/class12\/0\.png is labelled class 12 \(its folder\), but the classifier clf\.onnx has 12 classes \(0\.\.11\)/);
    expect(() => checkLabelRange(folders, 13, 'clf.onnx')).not.toThrow();
  });

  test('count the images whose prediction is their label, overall and per class', () => {
    const found = sampleLabels(listImages(folder(['class0/0.png', 'class0/1.png', 'class2/0.png', 'loose.png'])));
    // Files sort as class0/0, class0/1, class2/0, loose.
    const report = classAccuracy(found, Int32Array.from([0, 1, 2, 2]), 3);
    expect(report).toEqual({
      accuracy: 2 / 3,
      correct: 2,
      labelled: 3,
      images: 4,
      classes: 3,
      perClass: [
        { class: 0, name: null, images: 2, correct: 1, accuracy: 0.5 },
        { class: 1, name: null, images: 0, correct: 0, accuracy: null },
        { class: 2, name: null, images: 1, correct: 1, accuracy: 1 },
      ],
    });
  });
});
