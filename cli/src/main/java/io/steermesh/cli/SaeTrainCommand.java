package io.steermesh.cli;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.SaeTrainer;
import io.steermesh.engine.steering.SaeTraining;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code steermesh sae-train}: a TopK SAE for a model at one hook, trained on the model's own stories plus
 * any corpus, written in the SAELens layout with per-feature dashboards beside it; a progress bar on
 * stderr, the report (variance explained, dead fraction) as JSON on stdout.
 */
final class SaeTrainCommand {
    private SaeTrainCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("model", "tokenizer", "hook", "features", "k", "epochs", "batch", "lr", "seed",
            "stories", "story-tokens", "corpus", "out", "threads");
    static final Set<String> SWITCHES = Set.of("verbose");

    static int run(List<String> argList, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("sae-train", argList, VALUE_FLAGS, SWITCHES, Set.of("corpus"));
        Path modelPath = Path.of(a.require("model"));
        int features = a.requireInt("features");
        if (features < 1) throw new UserError("--features must be >= 1 (got " + features + ")");
        int k = a.intValue("k", Math.min(features, 8));
        if (k < 1 || k > features) throw new UserError("--k must be in [1, " + features + "] (the --features) (got " + k + ")");
        int epochs = a.intAtLeast("epochs", 20, 1), batch = a.intAtLeast("batch", 64, 1);
        int stories = a.intAtLeast("stories", 64, 0), storyTokens = a.intAtLeast("story-tokens", 128, 1);
        double lr = a.doubleValue("lr", 2e-3);
        if (!(lr > 0)) throw new UserError("--lr must be > 0 (got " + lr + ")");
        long seed = a.longValue("seed", 1);
        List<String> corpus = new ArrayList<>();
        for (String file : a.all("corpus")) {
            // paragraphs: blank lines separate the texts
            for (String text : Files.readString(Path.of(file)).split("\\R\\s*\\R")) if (!text.isBlank()) corpus.add(text.strip());
        }
        if (stories == 0 && corpus.isEmpty()) throw new UserError("--stories 0 needs a --corpus FILE: there is nothing to train on");
        ModelLoader.Options options = ModelLoader.Options.defaults();
        if (a.has("threads")) options = options.withThreads(a.requireInt("threads"));
        if (a.has("tokenizer")) options = options.withTokenizer(Path.of(a.get("tokenizer")));
        try (Model model = ModelLoader.load(modelPath, options, msg -> { if (a.has("verbose")) err.println("steermesh: " + msg); })) {
            int layers = model.config().nLayers();
            String hookName = a.has("hook") ? a.get("hook") : "blocks." + layers / 2 + ".hook_resid_post";
            HookPoint hook;
            try {
                hook = HookPoint.parse(hookName, layers);
            } catch (IllegalArgumentException e) {
                throw new UserError("--hook " + e.getMessage().replaceFirst("^hook ", ""));
            }
            Path dir = a.has("out") ? Path.of(a.get("out"))
                    : Path.of("run", "sae", ModelLoader.defaultName(modelPath) + "-" + hook.name() + "-" + features);
            ProgressBar bar = new ProgressBar(err);
            long t0 = System.nanoTime();
            SaeTraining.Trained t = SaeTraining.train(model, hook, new SaeTraining.Corpus(stories, storyTokens, corpus),
                    new SaeTrainer.Settings(hook.name(), features, k, epochs, batch, lr, seed), p -> bar.show(p.phase(), p.done(), p.total()));
            bar.end();
            SaeTraining.write(t, dir);
            t.report().put("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0).put("out", dir.toString());
            err.printf(Locale.ROOT, "steermesh: SAE at %s, %d features (k %d) on %d tokens: variance explained %.3f, dead features %.1f%%; wrote %s%n",
                    hook.name(), features, k, t.result().inputs(), t.result().varianceExplained(), 100 * t.result().deadFraction(), dir);
            out.println(t.report());
            return 0;
        }
    }

    /** One line on stderr, redrawn in place: {@code phase [#####.....] done/total}. */
    private static final class ProgressBar {
        private final PrintStream err;
        private String last = "";

        ProgressBar(PrintStream err) {
            this.err = err;
        }

        void show(String phase, int done, int total) {
            int width = 30, filled = total == 0 ? width : done * width / total;
            String line = String.format(Locale.ROOT, "\r%-10s [%s%s] %d/%d", phase, "#".repeat(filled), ".".repeat(width - filled), done, total);
            if (line.equals(last)) return;
            last = line;
            err.print(line);
            err.flush();
        }

        void end() {
            if (!last.isEmpty()) err.println();
        }
    }
}
