import { describe, expect, test } from 'vitest';
import { Channel, encodeFrame, FrameReader, MAX_FRAME, parseResize } from '../../../src/attach/frames.js';
import { parseRequest } from '../../../src/control/protocol.js';

describe('attach frames', () => {
  test('encoded and read back, whole or cut anywhere', () => {
    const bytes = Buffer.concat([
      encodeFrame(Channel.stdin, 'hello'),
      encodeFrame(Channel.resize, '{"Width":80,"Height":24}'),
      encodeFrame(Channel.close, Buffer.from([0])),
    ]);
    const whole = new FrameReader().push(bytes);
    expect(whole.map((f) => [f.channel, f.payload.toString('latin1')])).toEqual([
      [0, 'hello'],
      [4, '{"Width":80,"Height":24}'],
      [255, '\0'],
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new FrameReader();
      const frames = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(frames).toEqual(whole);
    }
  });

  test('an empty payload is a frame; a frame claiming more than the limit is refused', () => {
    expect(new FrameReader().push(encodeFrame(Channel.stdout, Buffer.alloc(0)))).toEqual([
      { channel: 1, payload: Buffer.alloc(0) },
    ]);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(MAX_FRAME + 1, 1);
    expect(() => new FrameReader().push(head)).toThrow(/attach frame of 1048577 bytes/);
  });

  test('resize as Kubernetes sends it: {"Width","Height"}, checked', () => {
    expect(parseResize(Buffer.from('{"Width":120,"Height":40}'))).toEqual({ rows: 40, cols: 120 });
    expect(() => parseResize(Buffer.from('{"Width":-1,"Height":40}'))).toThrow(
      'resize: Width and Height must be whole numbers from 0 to 65535',
    );
    expect(() => parseResize(Buffer.from('{"Width":"80"}'))).toThrow(/resize/);
  });

  test('the attach request line', () => {
    expect(parseRequest('{"op":"attach","container":"sh","stdin":true}')).toEqual({
      op: 'attach',
      container: 'sh',
      stdin: true,
    });
    expect(parseRequest('{"op":"attach","container":"sh"}')).toEqual({ op: 'attach', container: 'sh', stdin: false });
    expect(() => parseRequest('{"op":"attach"}')).toThrow('attach: "container" must be a container name');
    expect(() => parseRequest('{"op":"attach","container":"sh","stdin":"yes"}')).toThrow(
      'attach: "stdin" must be true or false',
    );
  });
});
