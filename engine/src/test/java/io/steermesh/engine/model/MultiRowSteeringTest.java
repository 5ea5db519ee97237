package io.steermesh.engine.model;

import io.steermesh.engine.SharedFiles;
import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.steering.SteeringPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-row (ActAdd) steering vectors on gpt2-tiny: row r lands at the r-th position of the set, the
 * positions past the last row are untouched, and the stream at the hook equals the unsteered stream
 * plus {@code coefficient * row} computed by hand.
 */
class MultiRowSteeringTest {
    static Model model;
    static int dim;
    static final int[] TOKENS = {464, 3797, 3332, 319, 262, 2603, 290, 1308};   // 4 prompt + 4 fed-back tokens
    static final int PROMPT = 4;
    static HookPoint post0, post1;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(SharedFiles.require("models/gpt2-tiny"), ModelLoader.Options.defaults().withThreads(2), s -> { });
        dim = model.config().dim();
        post0 = HookPoint.parse("blocks.0.hook_resid_post", 2);
        post1 = HookPoint.parse("blocks.1.hook_resid_post", 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    /** rows x dim values, row r filled with a distinct pattern. */
    static float[] rows(int n) {
        float[] v = new float[n * dim];
        for (int r = 0; r < n; r++) for (int i = 0; i < dim; i++) v[r * dim + i] = (float) Math.sin(0.37 * i + 1.3 * r + 0.1) * (r + 1);
        return v;
    }

    /** Runs TOKENS through a fresh sequence (prompt as one prefill, the rest one decode at a time); returns the stream per hook, per position. */
    static float[][][] run(SteeringPlan plan) {
        float[][][] captured = new float[2][TOKENS.length][];
        Sequence s = model.newSequence("m", PROMPT);
        s.setSteering(plan);
        s.setCapture(new ActivationCapture() {
            public Set<HookPoint> hooks() { return Set.of(post0, post1); }
            public void accept(HookPoint h, int position, float[] x, int off, int d) {
                captured[h.equals(post0) ? 0 : 1][position] = Arrays.copyOfRange(x, off, off + d);
            }
        });
        model.transformer().forward(List.of(new Step(s, Arrays.copyOf(TOKENS, PROMPT), Step.Logits.NONE)));
        for (int p = PROMPT; p < TOKENS.length; p++) model.transformer().forward(List.of(Step.decode(s, TOKENS[p])));
        return captured;
    }

    /** Asserts that the steered stream at blocks.0.hook_resid_post is the unsteered one plus c * row(k) at expected positions, bit for bit. */
    static void assertAddedAt(float[][] plain, float[][] steered, float c, float[] v, int[] rowAtPosition) {
        for (int p = 0; p < TOKENS.length; p++) {
            float[] expected = plain[p].clone();
            int r = rowAtPosition[p];
            if (r >= 0) for (int i = 0; i < dim; i++) expected[i] = plain[p][i] + c * v[r * dim + i];
            assertArrayEquals(expected, steered[p], "position " + p + (r >= 0 ? " gets row " + r : " is untouched"));
            if (r >= 0) assertFalse(Arrays.equals(plain[p], steered[p]), "position " + p + " changed");
        }
    }

    @Test
    void threeRowsAtAllChangeExactlyPositionsZeroToTwo() {
        float[] v = rows(3);
        float[][][] plain = run(SteeringPlan.NONE);
        float[][][] steered = run(new SteeringPlan(List.of(new Injection(post0, v, 2.5f, PositionSet.ALL))));
        assertAddedAt(plain[0], steered[0], 2.5f, v, new int[] {0, 1, 2, -1, -1, -1, -1, -1});
        // later layers see the change through attention
        assertFalse(Arrays.equals(plain[1][5], steered[1][5]));
    }

    @Test
    void twoRowsAtGeneratedStartAtTheFirstFedBackToken() {
        float[] v = rows(2);
        float[][][] plain = run(SteeringPlan.NONE);
        float[][][] steered = run(new SteeringPlan(List.of(new Injection(post0, v, -1.5f, PositionSet.GENERATED))));
        assertAddedAt(plain[0], steered[0], -1.5f, v, new int[] {-1, -1, -1, -1, 0, 1, -1, -1});
        for (int p = 0; p < PROMPT; p++) assertArrayEquals(plain[1][p], steered[1][p], "prompt position " + p + " at layer 1");
    }

    @Test
    void rowsAtARangeCountFromItsStartAndStopAfterTheLastRow() {
        float[] v = rows(2);
        float[][][] plain = run(SteeringPlan.NONE);
        float[][][] steered = run(new SteeringPlan(List.of(new Injection(post0, v, 3f, PositionSet.range(2, 6)))));
        assertAddedAt(plain[0], steered[0], 3f, v, new int[] {-1, -1, 0, 1, -1, -1, -1, -1});
    }

    @Test
    void moreRowsThanPositionsInTheSetUsesOnlyTheFirstOnes() {
        float[] v = rows(5);
        float[][][] plain = run(SteeringPlan.NONE);
        float[][][] steered = run(new SteeringPlan(List.of(new Injection(post0, v, 1f, PositionSet.range(6, 8)))));
        assertAddedAt(plain[0], steered[0], 1f, v, new int[] {-1, -1, -1, -1, -1, -1, 0, 1});
    }

    @Test
    void multiRowIsTheSameAsOneSingleRowInjectionPerPosition() {
        float[] v = rows(3);
        Sequence a = model.newSequence("a", TOKENS.length);
        a.setSteering(new SteeringPlan(List.of(new Injection(post0, v, 2f, PositionSet.PROMPT))));
        float[] multi = model.transformer().forward(List.of(new Step(a, TOKENS, Step.Logits.ALL)))[0];
        Sequence b = model.newSequence("b", TOKENS.length);
        b.setSteering(new SteeringPlan(List.of(
                new Injection(post0, Arrays.copyOfRange(v, 0, dim), 2f, PositionSet.range(0, 1)),
                new Injection(post0, Arrays.copyOfRange(v, dim, 2 * dim), 2f, PositionSet.range(1, 2)),
                new Injection(post0, Arrays.copyOfRange(v, 2 * dim, 3 * dim), 2f, PositionSet.range(2, 3)))));
        float[] single = model.transformer().forward(List.of(new Step(b, TOKENS, Step.Logits.ALL)))[0];
        assertArrayEquals(single, multi);
    }

    @Test
    void singleRowStillAddsAtEveryPositionOfTheSet() {
        float[] v = rows(1);
        float[][][] plain = run(SteeringPlan.NONE);
        float[][][] steered = run(new SteeringPlan(List.of(new Injection(post0, v, 0.5f, PositionSet.range(1, 7)))));
        assertAddedAt(plain[0], steered[0], 0.5f, v, new int[] {-1, 0, 0, 0, 0, 0, 0, -1});
    }

    @Test
    void validateWantsAPositiveMultipleOfTheModelWidth() {
        ModelConfig c = model.config();
        new SteeringPlan(List.of(new Injection(post0, new float[3 * dim], 1f, PositionSet.ALL))).validate(c);
        for (int n : new int[] {0, dim - 1, dim + 1, 2 * dim + 5}) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new SteeringPlan(List.of(new Injection(post0, new float[n], 1f, PositionSet.ALL))).validate(c));
            assertEquals("steering vector for blocks.0.hook_resid_post must have a multiple of the model width 64 values (rows x 64; got "
                    + n + ")", e.getMessage());
        }
    }

    @Test
    void ordinalsCountWithinTheSet() {
        assertEquals(7, PositionSet.ALL.ordinal(7, 3));
        assertEquals(2, PositionSet.PROMPT.ordinal(2, 3));
        assertEquals(-1, PositionSet.PROMPT.ordinal(3, 3));
        assertEquals(0, PositionSet.GENERATED.ordinal(3, 3));
        assertEquals(4, PositionSet.GENERATED.ordinal(7, 3));
        assertEquals(-1, PositionSet.GENERATED.ordinal(2, 3));
        assertEquals(0, PositionSet.range(5, 9).ordinal(5, 0));
        assertEquals(3, PositionSet.range(5, 9).ordinal(8, 0));
        assertEquals(-1, PositionSet.range(5, 9).ordinal(9, 0));
        assertEquals(-1, PositionSet.range(5, 9).ordinal(4, 0));
    }

    @Test
    void normalizedWithTheWidthScalesEachRowOnItsOwn() {
        float[] v = {3, 4, 0, 0, 0, 5, 12, 0};   // rows of width 4: norms 5 and 13
        Injection n = new Injection(post0, v, 1f, PositionSet.ALL).normalized(4);
        assertArrayEquals(new float[] {3f / 5, 4f / 5, 0, 0, 0, 5f / 13, 12f / 13, 0}, n.vector(), 1e-7f);
        // one row: the same as the whole-vector normalization, bit for bit
        float[] one = Arrays.copyOf(rows(1), dim);
        assertArrayEquals(new Injection(post0, one, 1f, PositionSet.ALL).normalized().vector(),
                new Injection(post0, one, 1f, PositionSet.ALL).normalized(dim).vector());
        var e = assertThrows(IllegalArgumentException.class, () -> new Injection(post0, new float[] {1, 0, 0, 0, 0, 0, 0, 0}, 1f, PositionSet.ALL).normalized(4));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Injection(post0, v, 1f, PositionSet.ALL).normalized(3));
    }
}
