package io.steermesh.kv;

import io.steermesh.events.Positions;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The pinned values were computed independently with Python's hashlib over the layout in
 * contracts/TENSORS.md (§Hashes), not with this code.
 */
class BlockHashContractTest {

    static final int[] TOKENS = {464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 383, 3290, 373, 407, 3772, 13};
    static final String FIRST = "837984084eb44e5a166a9ef7848a900bd8ec4dfc64b1bc1098263c31e784eb7c";
    static final float[] V = {0.25f, -1.5f, 3.0f, 0.0f};

    @Test
    void blockHashIsPinnedToTheDocumentedLayout() {
        assertEquals(FIRST, BlockHash.of("gpt2", "", TOKENS, ""));
        SteeringPlanSpec generatedOnly = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V).withPositions(Positions.GENERATED));
        String identity = BlockHash.steeringIdentity(generatedOnly, 16, 20);
        assertEquals("3e7114d4797b7b278e68a56d85b79777d73bfe1b966f7b55379e0468fbee6312", identity);
        assertEquals("36db645e9244b6f89d995fff171d760cafcb80c7e04d6c724f5ed024388af57a", BlockHash.of("gpt2", FIRST, new int[] {1, 2, 3}, identity));
    }

    @Test
    void blockHashChangesWithEveryInput() {
        Set<String> seen = new HashSet<>();
        seen.add(BlockHash.of("gpt2", "", TOKENS, ""));
        seen.add(BlockHash.of("gpt2-medium", "", TOKENS, ""));
        seen.add(BlockHash.of("gpt2", FIRST, TOKENS, ""));
        for (int i = 0; i < TOKENS.length; i++) {
            int[] t = TOKENS.clone();
            t[i]++;
            seen.add(BlockHash.of("gpt2", "", t, ""));
        }
        seen.add(BlockHash.of("gpt2", "", Arrays.copyOf(TOKENS, 15), ""));
        seen.add(BlockHash.of("gpt2", "", TOKENS, SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V)).identity()));
        assertEquals(3 + TOKENS.length + 2, seen.size(), "every changed input gives a new hash");
        assertEquals(BlockHash.of("gpt2", "", TOKENS, ""), BlockHash.of("gpt2", "", TOKENS.clone(), ""), "stable");
        // the length prefix keeps ("ab", "c") and ("a", "bc") apart
        assertNotEquals(BlockHash.of("ab", "", TOKENS, ""), BlockHash.of("a", "", TOKENS, ""));
    }

    @Test
    void badInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("", "", TOKENS, ""));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("gpt2", "abc", TOKENS, ""));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("gpt2", "", new int[0], ""));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("gpt2", "", new int[17], ""));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("gpt2", "", new int[] {-1}, ""));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.of("gpt2", "", TOKENS, "not-hex"));
    }

    @Test
    void steeredAndUnsteeredKvNeverShareABlock() {
        int[] seq = new int[40];
        for (int i = 0; i < seq.length; i++) seq[i] = 100 + i;
        SteeringPlanSpec all = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V));
        List<String> plain = BlockHash.chain("gpt2", seq, 20, SteeringPlanSpec.NONE);
        List<String> steered = BlockHash.chain("gpt2", seq, 20, all);
        assertEquals(2, plain.size(), "only full blocks are hashed");
        for (int i = 0; i < plain.size(); i++) assertNotEquals(plain.get(i), steered.get(i));
    }

    @Test
    void blocksNoTermTouchesAreSharedWithUnsteeredSequences() {
        int[] seq = new int[48];
        for (int i = 0; i < seq.length; i++) seq[i] = 7 * i;
        SteeringPlanSpec generated = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V).withPositions(Positions.GENERATED));
        List<String> plain = BlockHash.chain("gpt2", seq, 20, SteeringPlanSpec.NONE);
        List<String> steered = BlockHash.chain("gpt2", seq, 20, generated);
        assertEquals(plain.get(0), steered.get(0), "the first block is all prompt: untouched, shareable");
        assertNotEquals(plain.get(1), steered.get(1), "positions 20..31 are steered");
        assertNotEquals(plain.get(2), steered.get(2), "and the chain carries it on");
    }

    @Test
    void promptAndGeneratedPositionsDependOnThePromptLength() {
        int[] seq = new int[32];
        SteeringPlanSpec generated = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V).withPositions(Positions.GENERATED));
        // the same tokens and plan, but in one sequence position 20 was generated and in the other it was prompt
        assertNotEquals(BlockHash.chain("gpt2", seq, 20, generated), BlockHash.chain("gpt2", seq, 21, generated));
        assertEquals("", BlockHash.steeringIdentity(generated, 0, 20));
        assertEquals("", BlockHash.steeringIdentity(generated, 16, 32));
        assertTrue(!BlockHash.steeringIdentity(generated, 16, 31).isEmpty());
    }

    @Test
    void aPlanChangedInsideABlockIsPartOfItsIdentity() {
        SteeringPlanSpec a = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 4.0f, V));
        SteeringPlanSpec b = SteeringPlanSpec.of(SteeringSpec.ofValues("blocks.6.hook_resid_pre", 8.0f, V));
        String switchedAt20 = BlockHash.steeringIdentity(16, 4, p -> p < 20 ? a : b);
        String switchedAt21 = BlockHash.steeringIdentity(16, 4, p -> p < 21 ? a : b);
        assertNotEquals(switchedAt20, switchedAt21);
        assertNotEquals(BlockHash.steeringIdentity(a, 16, 4), switchedAt20);
        assertEquals(BlockHash.steeringIdentity(b, 16, 4), BlockHash.steeringIdentity(16, 4, p -> b));
        assertThrows(IllegalArgumentException.class, () -> BlockHash.steeringIdentity(a, 5, 4));
    }
}
