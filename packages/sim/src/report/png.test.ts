import { describe, expect, it } from "vitest";
import { deflateSync } from "node:zlib";
import { decodePng, inkStats } from "./png.js";

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, Buffer.from(data), Buffer.alloc(4)]); // the CRC is not checked
}

function png(width: number, height: number, channels: 3 | 4, rows: { filter: number; bytes: number[] }[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  const raw = Buffer.from(rows.flatMap((r) => [r.filter, ...r.bytes]));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())]);
}

describe("decodePng", () => {
  it("undoes the None, Sub, Up, Average and Paeth filters", () => {
    // Pixels (RGB): row 0 = [10,20,30] [40,50,60]; row 1 = [11,22,33] [44,55,66]; row 2 = [0,0,0] [255,255,255].
    const image = png(2, 4, 3, [
      { filter: 0, bytes: [10, 20, 30, 40, 50, 60] },
      { filter: 2, bytes: [1, 2, 3, 4, 5, 6] }, // Up
      { filter: 1, bytes: [0, 0, 0, 255, 255, 255] }, // Sub
      { filter: 3, bytes: [0, 0, 0, 128, 128, 128] }, // Average of left and up: row 3 = [0,0,0], [0+? ...]
    ]);
    const out = decodePng(image);
    if (typeof out === "string") throw new Error(out);
    expect(out).toMatchObject({ width: 2, height: 4, channels: 3 });
    expect([...out.pixels.subarray(0, 18)]).toEqual([10, 20, 30, 40, 50, 60, 11, 22, 33, 44, 55, 66, 0, 0, 0, 255, 255, 255]);
    // Average: first pixel (0 + up 0) / 2 = 0; second: 128 + (left 0 + up 255) >> 1 = 128 + 127 = 255.
    expect([...out.pixels.subarray(18, 24)]).toEqual([0, 0, 0, 255, 255, 255]);
    const paeth = decodePng(png(2, 2, 4, [
      { filter: 0, bytes: [1, 2, 3, 255, 9, 9, 9, 255] },
      { filter: 4, bytes: [1, 1, 1, 0, 100, 100, 100, 0] },
    ]));
    if (typeof paeth === "string") throw new Error(paeth);
    // Paeth, first pixel: a = c = 0, so up + 1; second: of left 2, up 9, up-left 1, up is nearest to 2 + 9 − 1.
    expect([...paeth.pixels.subarray(8)]).toEqual([2, 3, 4, 255, 109, 109, 109, 255]);
    expect(inkStats(paeth)).toEqual({ ink: 1, colors: 2 });
  });

  it("says what it cannot read", () => {
    expect(decodePng(new Uint8Array([1, 2, 3]))).toBe("not a PNG (bad signature)");
    const ihdr = png(1, 1, 3, [{ filter: 0, bytes: [0, 0, 0] }]);
    ihdr[24] = 16; // bit depth
    expect(decodePng(ihdr)).toMatch(/^unsupported PNG/);
  });
});
