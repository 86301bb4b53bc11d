import { describe, expect, it } from 'vitest';
import { cat, conv2d, crossEntropy, matmul, setBackend, tensor, useBackend, zeros } from '../../src/index.js';

describe('errors name the op, the argument and the shapes', () => {
  useBackend('cpu');
  it('shape mismatch in broadcasting', () => {
    expect(() => zeros([2, 3]).add(zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  });
  it('matmul inner dimensions', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow('matmul: inner dimensions must match, got [2, 3] and [4, 5]');
  });
  it('bad axis', () => {
    expect(() => zeros([2, 3]).sum(2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
    expect(() => zeros([2, 3]).softmax(-3)).toThrow(/softmax: axis -3 is out of range/);
  });
  it('wrong dtype', () => {
    const labels = tensor([0, 1], [2], { dtype: 'int32' });
    expect(() => labels.softmax(0)).toThrow(/softmax: input must be float32, got int32/);
    expect(() => zeros([2, 3]).gather(1, zeros([2, 1]))).toThrow(/gather: index must be an int32 tensor, got float32/);
    expect(() => tensor([1.5], [1], { dtype: 'int32' })).toThrow(/int32 data must hold integers/);
  });
  it('typed arrays: int32 data is checked for integers and range, and its range is kept for label checks', async () => {
    expect(() => tensor(new Float32Array([0, 2.5]), [2], { dtype: 'int32' })).toThrow(/int32 data must hold integers, element 1 is 2.5/);
    expect(() => tensor(new Int32Array([3, -16777217, 0]), [3])).toThrow(/int32 values must lie within ±2\^24 \(16777216\), element 1 is -16777217/);
    expect(() => tensor(new Uint32Array([16777217]), [1], { dtype: 'int32' })).toThrow(/element 0 is 16777217/);
    const labels = tensor(new Uint8Array([4, 0, 255, 9]), [4], { dtype: 'int32' });
    expect(labels.valueRange).toEqual([0, 255]);
    expect(Array.from(await labels.data())).toEqual([4, 0, 255, 9]);
    const floats = tensor(new Float32Array([NaN, -Infinity, 1.5]), [3]);
    expect(Array.from(await floats.data())).toEqual([NaN, -Infinity, 1.5]);
    // the range of an int32 tensor from an Int32Array drives nllLoss's label check
    const bad = tensor(new Int32Array([0, 1, 2, 7]), [1, 2, 2]);
    expect(() => crossEntropy(zeros([1, 3, 2, 2]), bad, { ignoreIndex: 255 })).toThrow(/range over \[0, 7\]/);
  });
  it('labels out of range are caught before any kernel runs', () => {
    const logits = zeros([1, 3, 2, 2]);
    const bad = tensor([0, 1, 2, 7], [1, 2, 2], { dtype: 'int32' });
    expect(() => crossEntropy(logits, bad, { ignoreIndex: 255 })).toThrow(/nllLoss: index values must lie in \[0, 3\) or equal ignoreIndex 255, but they range over \[0, 7\]/);
    const ok = tensor([0, 1, 2, 255], [1, 2, 2], { dtype: 'int32' });
    expect(() => crossEntropy(logits, ok, { ignoreIndex: 255 })).not.toThrow();
  });
  it('conv2d channel mismatch', () => {
    expect(() => conv2d(zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3]))).toThrow(/conv2d: weight \[4, 2, 3, 3\] expects 2 input channels with groups=1, but the input \[1, 3, 5, 5\] has 3/);
  });
  it('cat shapes', () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow(/cat: tensors\[1\] has shape \[2, 4\] but tensors\[0\] has \[2, 3\]/);
  });
  it('reshape sizes', () => {
    expect(() => zeros([2, 3]).reshape(4, 2)).toThrow('reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)');
  });
  it('unknown backend', async () => {
    await expect(setBackend('metal' as never)).rejects.toThrow(/setBackend: unknown backend 'metal'; expected one of webgpu, headlessgl/);
    expect(() => useBackend('cuda' as never)).toThrow(/useBackend: unknown backend 'cuda'/);
  });
  it('mixing backends', () => {
    useBackend('reference');
    const a = tensor([1], [1]);
    useBackend('cpu');
    expect(() => a.add(tensor([1], [1]))).toThrow(/add: argument 0 lives on the reference backend but ops now run on cpu/);
  });
  it('too many elements', () => {
    expect(() => zeros([4096, 4096])).toThrow(/at most 8388608/);
  });
});
