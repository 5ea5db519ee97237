package io.steermesh.steering;

import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.SteeringVectors;
import io.steermesh.events.InvalidEventException;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Computes a vector's values from its {@link VectorRequest.Source}: given values, contrasts and mean
 * differences of residuals captured by real forward passes on the workers ({@link ActivationClient}),
 * token embeddings and SAE decoder rows. Captures are counted in a {@link JobStore} job.
 */
@ApplicationScoped
public class VectorSources {
    private static final Logger LOG = Logger.getLogger(VectorSources.class);

    @Inject
    SteeringModel model;

    @Inject
    SteeringRegistry registry;

    @Inject
    ActivationClient activations;

    @Inject
    JobStore jobs;

    /** Values of {@code rows} rows, and the kind of source the registry records. */
    public record Computed(float[] values, int rows, String kind) {}

    /** Errors about the source's fields are named {@code source.<field>}. */
    public Computed compute(String name, HookPoint hook, VectorRequest.Source source) {
        try {
            return switch (source) {
                case VectorRequest.Raw r -> new Computed(r.values(), r.rows() != null ? r.rows() : Math.max(1, r.values().length / model.config().dim()), "upload");
                case VectorRequest.Contrast c -> "actadd".equals(c.rows()) ? contrastActAdd(name, c, hook) : contrastLast(name, c, hook);
                case VectorRequest.MeanDiff m -> meanDiff(name, m, hook);
                case VectorRequest.Token t -> token(t.token());
                case VectorRequest.SaeFeature s -> new Computed(registry.saes().decoderRow(s.sae(), s.feature()), 1, "sae");
            };
        } catch (InvalidEventException e) {
            throw e.within("source");
        }
    }

    /**
     * One row, the difference of the two prompts' last-position residuals: prompts of any lengths, and a
     * vector that a request applies wherever its positions say (every position by default, generated ones included).
     */
    private Computed contrastLast(String name, VectorRequest.Contrast c, HookPoint hook) {
        int[] pos = model.prompt(c.positive(), "positive");
        int[] neg = model.prompt(c.negative(), "negative");
        JobStore.Job job = job(name, "contrast", 2);
        return run(job, () -> {
            float[] p = capture(job, pos, hook, "last").values().getFirst();
            float[] n = capture(job, neg, hook, "last").values().getFirst();
            return new Computed(SteeringVectors.contrast(p, 1, n, 1, model.config().dim()), 1, "contrast");
        });
    }

    /** ActAdd's rows: position by position after padding the shorter prompt on the right (Turner et al. 2023). */
    private Computed contrastActAdd(String name, VectorRequest.Contrast c, HookPoint hook) {
        int[] pos = model.prompt(c.positive(), "positive");
        int[] neg = model.prompt(c.negative(), "negative");
        int pad;
        if (c.padId() != null) {
            int vocab = model.config().vocabSize();
            if (c.padId() >= vocab) throw InvalidEventException.invalid("pad_id", "must be in [0, " + (vocab - 1) + "] (got " + c.padId() + ")");
            pad = c.padId();
        } else if (pos.length == neg.length) {
            pad = 0;   // nothing to pad
        } else {
            try {
                pad = SteeringVectors.spacePadId(model.tokenizer());
            } catch (IllegalArgumentException e) {
                throw InvalidEventException.invalid("pad_id", "is needed for rows \"actadd\" when the prompts differ in length ("
                        + pos.length + " and " + neg.length + " tokens): " + e.getMessage() + "; or use rows \"last\"");
            }
        }
        SteeringVectors.PaddedPair padded = SteeringVectors.padRight(pos, neg, pad);
        JobStore.Job job = job(name, "contrast", 2);
        return run(job, () -> {
            ActivationClient.Captured p = capture(job, padded.a(), hook, "none");
            ActivationClient.Captured n = capture(job, padded.b(), hook, "none");
            float[] diff = SteeringVectors.contrast(p.values().getFirst(), p.rows()[0], n.values().getFirst(), n.rows()[0], model.config().dim());
            return new Computed(diff, padded.a().length, "contrast");
        });
    }

    private Computed meanDiff(String name, VectorRequest.MeanDiff m, HookPoint hook) {
        SteeringVectors.Mode mode = "mean".equals(m.reduce()) ? SteeringVectors.Mode.ALL : SteeringVectors.Mode.LAST;
        String reduce = mode == SteeringVectors.Mode.LAST ? "last" : "none";
        List<int[]> posIds = prompts(m.positive(), "positive"), negIds = prompts(m.negative(), "negative");
        JobStore.Job job = job(name, "mean_diff", posIds.size() + negIds.size());
        return run(job, () -> {
            List<float[]> p = new ArrayList<>(), n = new ArrayList<>();
            for (int[] ids : posIds) p.add(capture(job, ids, hook, reduce).values().getFirst());
            for (int[] ids : negIds) n.add(capture(job, ids, hook, reduce).values().getFirst());
            return new Computed(SteeringVectors.meanDiff(p, n, model.config().dim(), mode), 1, "mean_diff");
        });
    }

    private Computed token(String text) {
        int[] ids = model.tokenizer().encode(text);
        if (ids.length != 1) {
            throw InvalidEventException.invalid("token", "must be a single token; \"" + text + "\" encodes to " + ids.length + " tokens " + Arrays.toString(ids));
        }
        return new Computed(SteeringVectors.tokenEmbedding(model.weights(), ids[0]), 1, "embedding");
    }

    /** Each prompt tokenized, errors naming {@code field[i]}. */
    public List<int[]> prompts(List<String> texts, String field) {
        List<int[]> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) out.add(model.prompt(texts.get(i), field + "[" + i + "]"));
        return out;
    }

    /** A new job of {@code total} captures, logged. */
    public JobStore.Job job(String vector, String source, int total) {
        LOG.infof("steering: computing \"%s\" from %s: %d capture(s) on the workers", vector, source, total);
        return jobs.start(vector, source, total);
    }

    /** Runs {@code work} as {@code job}: done when it returns, failed (with its message) when it throws. */
    public <T> T run(JobStore.Job job, Supplier<T> work) {
        try {
            T out = work.get();
            job.finish();
            return out;
        } catch (RuntimeException e) {
            job.fail(e.getMessage());
            throw e;
        }
    }

    /** One capture on a worker, counted in {@code job}. */
    public ActivationClient.Captured capture(JobStore.Job job, int[] ids, HookPoint hook, String reduce) {
        ActivationClient.Captured c = activations.capture(model.name(), ids, List.of(hook.name()), reduce, model.captureTimeout());
        int done = job.step();
        LOG.infof("steering: %s for \"%s\": capture %d/%d done (%d tokens at %s on %s)", job.source(), job.vector(), done, job.total(),
                ids.length, hook, c.worker());
        return c;
    }
}
