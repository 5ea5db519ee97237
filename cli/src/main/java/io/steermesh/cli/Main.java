package io.steermesh.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The steermesh command line. {@link #run} is the whole program with its streams passed in, so tests
 * call it in-process; {@link #main} only binds it to the process.
 *
 * <p>Exit status: 0 success, 2 a user error (bad flag or value, missing or unreadable file, a model or
 * request the engine rejects), 1 anything unexpected. Errors are one line on stderr starting with
 * {@code steermesh: }; stdout carries only results, so {@code --json} output can be piped.
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            steermesh: LLM inference with activation steering

            usage: steermesh COMMAND [FLAGS]

            commands:
              generate      generate a completion for a prompt
              tokenize      encode a JSON array of strings (stdin) to token ids (stdout)
              chat-template render conversations (stdin) with a tokenizer's own Jinja chat template (stdout)
              synth-model   write a seeded random GPT-2 or Llama model (Hugging Face layout, or GGUF)
              bench         run the benchmarks
              steer-sweep   steer towards a word at several hooks and coefficients; count how often it appears
              sae-train     train a TopK sparse autoencoder at one hook (SAELens layout + feature dashboards)
              loadtest      measure a running gateway: N concurrent WebSocket streams
              help          show this text (also --help, or no command)

            steermesh generate --model PATH (--prompt TEXT | --prompt-ids ID,...) [FLAGS]
              --model PATH             Hugging Face directory, .gguf file or llama2.c .bin
              --tokenizer PATH         a .gguf (model or vocabulary only), a tokenizer directory, tokenizer.json,
                                       encoder.json/vocab.bpe or a llama2.c .bin
                                       (default: found beside the model, or embedded in the .gguf)
              --prompt TEXT            text prompt, plain text (special tokens are not recognized);
                                       BOS is added for families that expect it (Llama)
              --prompt-ids ID,...      prompt token ids, used as given (no BOS added)
              --max-tokens N           most tokens to generate (default 256, at most the context length)
              --temperature T          >= 0; 0 = greedy (default 1.0)
              --top-k K                keep the K most likely tokens; 0 = off (default 0)
              --top-p P                keep the most likely tokens up to mass P, in (0, 1] (default 1 = off)
              --min-p P                drop tokens below P x p(most likely), in [0, 1] (default 0 = off)
              --repetition-penalty R   > 0; 1 = off (default 1)
              --presence-penalty X     in [-2, 2] (default 0)
              --frequency-penalty X    in [-2, 2] (default 0)
              --seed S                 seed of the sampler's random draws (default 0)
              --stop-ids ID,...        tokens that end the completion ("" = none)
                                       (default: the tokenizer's EOS, and BOS for Llama, as llama2.c does)
              --top-logits N           with --json: the N largest raw logits of each step (default 0)
              --steer HOOK:COEFF:FILE  add COEFF x vector to the residual stream at HOOK, e.g.
                                       blocks.0.hook_resid_post:4.0:vector.json; HOOK is blocks.L.hook_resid_pre,
                                       hook_attn_out, hook_mlp_out or hook_resid_post; FILE is a JSON array
                                       of floats or raw little-endian float32: model width values, or
                                       R x width for R rows (ActAdd), row r added at the r-th position of
                                       --steer-positions and nothing past the last row;
                                       repeatable: the terms add up
              --steer-positions SET    positions to steer: all | prompt | generated | FROM-TO
                                       (half-open, 0-based; default all)
              --normalize              scale each steering vector (each row) to unit L2 norm first
              --dtype TYPE             convert the weights in memory: f32 | bf16 | f16 | q8_0 | q4_0
                                       (default: keep the stored type)
              --threads N              threads for the forward pass (default: all processors)
              --int8-activations       opt-in, not exact: Q4_K and Q6_K matrices multiply with their
                                       activations quantized to int8, as llama.cpp does (faster)
              --json                   one JSON object per generated token, then a summary line:
                                       {"index":0,"id":..,"text":"..","logprob":..,"top_logits":[[id,logit],...]}
                                       {"finish_reason":"stop|length","usage":{"prompt_tokens":N,
                                       "completion_tokens":M,"total_tokens":N+M}}
                                       (text is null when the model has no tokenizer)
              --routing                with --json, on a mixture-of-experts model: each token line gets
                                       "routing":{"position":P,"layers":[{"experts":[..],"weights":[..]},..]}
                                       (the experts chosen per layer for position P, the input whose step
                                       gave this token), the summary "prompt_routing":[..] for the prompt
              --verbose                loading progress and a summary on stderr
              without --json the completion (not the prompt) streams to stdout as it is generated

            steermesh tokenize (--tokenizer PATH | --model PATH) [--allow-special]
              reads a JSON array of strings on stdin, writes a JSON array of token-id arrays on stdout
              --tokenizer PATH         as for generate: a .gguf, a directory with tokenizer.json (+ tokenizer_config.json)
                                       or encoder.json + vocab.bpe, a tokenizer.json, or a llama2.c tokenizer.bin
              --model PATH             use the tokenizer of this model
              --allow-special          recognize special-token strings such as <|endoftext|> in the text
              --bench FILE [--rounds N] instead: encode FILE N times (default 5) with --tokenizer and print
                                       {"bytes","tokens","rounds","best_seconds","mb_per_s","load_seconds"}

            steermesh chat-template --tokenizer PATH [--date YYYY-MM-DD]
              reads a JSON array of {"messages": [{"role": ..., "content": ...}, ...], "add_generation_prompt": bool}
              on stdin (further keys such as "tools" or "enable_thinking" reach the template), writes a JSON array
              of rendered prompts on stdout, as Hugging Face's apply_chat_template renders them
              --tokenizer PATH         a .gguf file (tokenizer.chat_template), a tokenizer_config.json
                                       (chat_template) or the directory holding it
              --date YYYY-MM-DD        the day the template's strftime_now sees (default: today)

            steermesh synth-model --arch gpt2|llama --layers N --dim D --heads H --seed S --out DIR [FLAGS]
              --kv-heads K             key/value heads, Llama grouped-query attention (default: --heads)
              --vocab V                vocabulary size (default 50257 for gpt2, 32000 for llama)
              --ctx C                  context length (default 1024)
              --dtype TYPE             f32 | f16 | bf16 (default f32)
              --ffn N                  Llama FFN width (default 8/3 dim, rounded up to 32)
              --format hf|gguf         Hugging Face directory (default) or, for llama, one GGUF file (--out FILE.gguf)
              --quant TYPE             GGUF weights: f32 | f16 | bf16 | q8_0 | q4_0 | q6_k | q4_k_m | q5_k_m
                                       (default f32; _m mixes Q6_K in as llama-quantize does)
              progress goes to stderr

            steermesh loadtest [--url ws://127.0.0.1:8080/v1/stream] [--streams N] [--max-tokens N] [FLAGS]
              time to first token, inter-token gap p50/p99 and aggregate tokens/s as a client sees them
              (one WebSocket per stream; round 0 warms up, then --rounds N measured, default 3)
              --url http://HOST:PORT/v1/completions   streams over OpenAI-style SSE instead (our gateway
                                       or llama.cpp's llama-server alike: one token per data event)
              --prompt TEXT            (default "Once upon a time")  --temperature T (default 0.8)

            steermesh bench --model PATH [FLAGS]
              decode ms/step and tokens/s per weight type and batch size, prefill tokens/s, and the
              share of the measured memory-bandwidth bound; progress on stderr, Markdown on stdout
              --dtypes LIST            weight types to run, e.g. f32,bf16,q8_0 (default f32,bf16,q8_0);
                                       stored: each weight as the file stores it (e.g. a Q4_K_M GGUF)
              --against-llamacpp DIR   run llama.cpp's llama-bench and llama-batched-bench (from the build in
                                       DIR, DIR/bin or DIR/build/bin; never downloaded) on the same .gguf,
                                       interleaved with ours for --rounds N (default 3), and print medians,
                                       spreads and ratios with the bandwidth and load average (batches 1,16)
              --batches LIST           sequences decoded together (default 1,4,16)
              --threads N              threads (default: all processors)
              --decode-tokens N        timed decode steps (default 64)
              --prompt-tokens N        prefill length, 0 = skip (default 512)
              --warmup N               untimed decode steps first (default 32; 8 per round with --steering)
              --same-jvm               run every weight type in this JVM (default: one child JVM per type)
              --bandwidth GBPS         use this read bandwidth (GB/s) instead of measuring it
              --int8-activations       our side with the opt-in int8-activation kernels (Q4_K, Q6_K)
              --int8-error             instead: the int8-activation kernels against the exact ones on the
                                       model: top-1 agreement and max |delta logit| over a seeded prompt of
                                       --prompt-tokens (default 16) and --decode-tokens (default 32) greedy steps
              --steering               instead: decode ms/step with 0, 1 and 4 steering vectors (4 hooks of
                                       different kinds and layers, positions all), a capture at one hook, and
                                       that capture plus an SAE-style readout (dense random W_enc of
                                       --sae-expansion x dim features in the weight type, ReLU, top-8 per
                                       token); variants paired step by step (each step runs for every
                                       variant back to back, order shuffled); reports the median step time
                                       and the median per-step overhead vs 0 vectors with its quartiles, and
                                       an A/A control row as the noise floor (defaults: --dtypes bf16,
                                       --batches 1,4)
              --rounds N               with --steering: timed rounds of --decode-tokens steps on fresh
                                       sequences (default 7)
              --sae-expansion N        with --steering: SAE features per model dimension (default 16)

            steermesh steer-sweep --model PATH [FLAGS]
              for each hook x coefficient, sample --samples completions with seeds 0..samples-1 (the same
              seeds for every setting: coefficient 0 is the unsteered baseline) steered by coefficient x v,
              and count the completions containing the word and its occurrences (whole word, case-insensitive,
              completion text only); a Markdown table with the vector norm, the mean residual norm at the
              hook and one example (seed 0) per setting on stdout, progress on stderr
              --word TEXT              the word to steer towards (default " dog")
              --source S               embedding: the embedding row of the word's single token (for
                                       SentencePiece, " dog" is the token ▁dog: the dummy prefix gives the space)
                                       | contrast: residual at the hook for the prompt WORD minus that for
                                       AGAINST, last position, BOS first where the family expects it
                                       (default embedding)
              --against TEXT           with --source contrast (default " cat")
              --hooks LIST             comma-separated hook names (default blocks.1.hook_resid_post)
              --coefficients LIST      comma-separated (default 0,2,4,8)
              --normalize              scale the vector to unit norm first (coefficients in units of norm)
              --samples N              completions per setting (default 50)
              --max-tokens N           (default 64)  --temperature T (default 0.8)
              --prompt TEXT            (default "Once upon a time")
              --steer-positions SET    as for generate (default all)
              --tokenizer PATH  --dtype TYPE  --threads N  --verbose   as for generate
              --json                   one JSON object with every setting instead of the table

            steermesh sae-train --model PATH --features N [FLAGS]
              a TopK SAE (Gao et al. 2024; Adam) on the residual stream at --hook, captured from --stories texts
              the model generates itself (temperature 1, from BOS) plus every --corpus FILE (paragraphs);
              writes the SAELens layout (cfg.json, sae_weights.safetensors), dashboards.json (per feature its
              top-activating contexts and the tokens its decoder row promotes through the unembedding) and
              training.json; a progress bar on stderr, the report (variance_explained, dead_fraction) on stdout
              --hook NAME              (default blocks.{layers/2}.hook_resid_post, a middle layer)
              --features N             d_sae, the number of features
              --k K                    active features per token (default min(8, N))
              --epochs N               passes over the activations (default 20)  --batch N (default 64)
              --lr X                   Adam's step size (default 0.002)  --seed S (default 1)
              --stories N              texts the model writes itself (default 64)  --story-tokens N (default 128)
              --corpus FILE            more text, repeatable; blank lines separate texts
              --out DIR                (default run/sae/MODEL-HOOK-N)
              --tokenizer PATH  --threads N  --verbose   as for generate

            Errors are one line on stderr starting with "steermesh: ". Exit status: 0 success,
            2 bad input (flags, values, files, models), 1 internal error.
            """;

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false,
                StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, System.in, out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        List<String> argList = Arrays.asList(args);
        boolean verbose = argList.contains("--verbose");
        try {
            if (args.length == 0) {
                out.print(USAGE);
                out.flush();
                return 0;
            }
            List<String> rest = argList.subList(1, args.length);
            return switch (args[0]) {
                case "help", "--help", "-h" -> {
                    out.print(USAGE);
                    out.flush();
                    yield 0;
                }
                case "generate" -> wantsHelp(rest, GenerateCommand.VALUE_FLAGS, out) ? 0 : GenerateCommand.run(rest, out, err);
                case "tokenize" -> wantsHelp(rest, TokenizeCommand.VALUE_FLAGS, out) ? 0 : TokenizeCommand.run(rest, in, out, err);
                case "chat-template" -> wantsHelp(rest, ChatTemplateCommand.VALUE_FLAGS, out) ? 0 : ChatTemplateCommand.run(rest, in, out);
                case "synth-model" -> wantsHelp(rest, SynthModelCommand.VALUE_FLAGS, out) ? 0 : SynthModelCommand.run(rest, out, err);
                case "bench" -> Bench.run(rest.toArray(String[]::new), out, err);
                case "steer-sweep" -> wantsHelp(rest, SteerSweepCommand.VALUE_FLAGS, out) ? 0 : SteerSweepCommand.run(rest, out, err);
                case "sae-train" -> wantsHelp(rest, SaeTrainCommand.VALUE_FLAGS, out) ? 0 : SaeTrainCommand.run(rest, out, err);
                case "loadtest" -> LoadTest.run(rest, out, err);
                default -> throw new UserError(args[0].startsWith("-")
                        ? "unknown flag " + args[0] + "; flags come after a command (see 'steermesh help')"
                        : "unknown command \"" + args[0] + "\" (commands: generate, tokenize, chat-template, synth-model, bench, steer-sweep, sae-train, loadtest, help)");
            };
        } catch (UserError e) {
            return fail(err, e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            return fail(err, message(e), 2);
        } catch (IOException e) {
            return fail(err, ioMessage(e), 2);
        } catch (UncheckedIOException e) {
            return fail(err, ioMessage(e.getCause()), 2);
        } catch (OutOfMemoryError e) {
            return fail(err, "out of memory (" + e.getMessage() + "); give the JVM more heap or try a smaller --dtype", 1);
        } catch (Throwable e) {
            Throwable cause = unwrap(e);
            if (cause instanceof IllegalArgumentException) return fail(err, message(cause), 2);
            if (cause instanceof IOException io) return fail(err, ioMessage(io), 2);
            if (verbose) e.printStackTrace(err);
            return fail(err, "internal error: " + cause, 1);
        }
    }

    /** {@code --help} or {@code -h} where a flag is expected (not as the value of one: {@code --prompt --help} is a prompt). */
    private static boolean wantsHelp(List<String> rest, Set<String> valueFlags, PrintStream out) {
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("--help") || a.equals("-h")) {
                out.print(USAGE);
                out.flush();
                return true;
            }
            if (a.startsWith("--") && !a.contains("=") && valueFlags.contains(a.substring(2))) i++;
        }
        return false;
    }

    /** The thread team rethrows a worker's failure wrapped as {@code new IllegalStateException(cause)}. */
    private static Throwable unwrap(Throwable e) {
        while (e instanceof IllegalStateException && e.getCause() != null && e.getCause().toString().equals(e.getMessage())) {
            e = e.getCause();
        }
        return e;
    }

    private static String message(Throwable e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String ioMessage(IOException e) {
        if (e instanceof NoSuchFileException f) return "no such file: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        if (e instanceof AccessDeniedException f) return "permission denied: " + f.getFile();
        if (e instanceof FileSystemException f) return f.getMessage();
        return e.getMessage() == null || e.getMessage().isBlank() ? "I/O error (" + e.getClass().getSimpleName() + ")" : e.getMessage();
    }

    private static int fail(PrintStream err, String message, int status) {
        err.println("steermesh: " + message.replaceAll("\\s*\\R\\s*", " ").strip());
        err.flush();
        return status;
    }
}
