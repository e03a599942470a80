package org.instruct4j.rlhf.data;

/** One comparison a ranking makes: the completion at index winner was ranked above the one at index loser. */
public record Comparison(int winner, int loser) {}
