package org.instruct4j.engine.nn;

import java.util.Locale;

/**
 * What a model folder's GPT-2 is for, kept in config.json as {"instruct4j": {"kind": "..."}} (transformers keeps
 * unknown config keys as attributes and ignores them). A folder without it, as transformers writes them, is a
 * language model.
 */
public enum ModelKind {
    /** A language model: the GPT-2 with its tied unembedding (pretrained, SFT, PPO policies). */
    LM,
    /** A reward model: the GPT-2 trunk and a scalar head, "score.weight" (C, 1) and "score.bias" (1). */
    REWARD,
    /** PPO's value model: a reward model's shape, read at every position. */
    VALUE;

    /** The name in config.json. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** The kind named id in config.json, or null when there is none. */
    static ModelKind of(String id) {
        for (ModelKind k : values()) if (k.id().equals(id)) return k;
        return null;
    }
}
