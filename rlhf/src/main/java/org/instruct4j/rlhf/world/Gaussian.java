package org.instruct4j.rlhf.world;

/** The standard normal distribution function, for the labelers' noise model. */
public final class Gaussian {
    private Gaussian() {}

    /** P(Z <= x) for a standard normal Z, to about 1e-7 (erfc by its Chebyshev-fitted exponential, Numerical Recipes 6.2). */
    public static double cdf(double x) {
        if (x == 0) return 0.5; // exactly, so that cdf(x) + cdf(-x) = 1 holds at 0 too (the fit is 3e-8 off there)
        double z = Math.abs(x) / Math.sqrt(2), t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
    }
}
