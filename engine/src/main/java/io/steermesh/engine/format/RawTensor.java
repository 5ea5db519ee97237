package io.steermesh.engine.format;

import io.steermesh.engine.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A tensor as a file stores it: name, element type, shape and a slice of the mapped file (no copy).
 * Shapes are given outermost dimension first, as PyTorch/safetensors write them
 * (GGUF's ne[] is reversed into this order by its reader), so a (rows, cols) matrix has
 * {@code shape = {rows, cols}} and row r starts at element {@code r * cols}.
 */
public record RawTensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
