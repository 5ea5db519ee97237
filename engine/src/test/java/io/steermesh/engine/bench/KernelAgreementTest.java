package io.steermesh.engine.bench;

import io.steermesh.engine.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The opt-in int8-activation kernels on real quantization mixes (files written by llama.cpp's
 * {@code llama-quantize}): they run (the logits move), and they stay close to the exact kernels.
 */
class KernelAgreementTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-w256-Q4_K_M.gguf", "llama-w256-Q6_K.gguf", "llama-w256-Q5_K_M.gguf"})
    void int8ActivationsKeepTheTopTokenAndMoveLogitsALittle(String file) throws IOException {
        KernelAgreement.Result r = KernelAgreement.int8VsExact(SharedFiles.require("models/quant-w256/" + file), 16, 32, 2);
        System.out.println(file + ": " + r.describe());
        assertTrue(r.maxAbsDelta() > 0, file + ": the int8 path gave the exact logits, so it did not run: " + r.describe());
        assertTrue(r.top1Agreement() >= 0.8, file + ": " + r.describe());
        assertTrue(r.maxAbsDelta() <= 0.1 * r.maxAbsLogit(), file + ": " + r.describe());
    }
}
