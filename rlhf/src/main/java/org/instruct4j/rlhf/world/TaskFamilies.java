package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.List;

/** The registry of task families and the mix in which the world draws them. */
public final class TaskFamilies {
    private TaskFamilies() {}

    private static final List<TaskFamily> ALL = List.of(new ClosedQaFamily(), new TransformFamily(),
            new ArithmeticFamily(), new ConstrainedFamily(), new RudeRequestFamily());

    /** Relative frequency of each family in the prompt distribution (same order as ALL). */
    private static final double[] WEIGHTS = {0.25, 0.25, 0.2, 0.2, 0.1};

    public static List<TaskFamily> all() { return ALL; }

    public static TaskFamily byName(String name) {
        for (TaskFamily f : ALL) if (f.name().equals(name)) return f;
        throw new IllegalArgumentException("unknown task family \"" + name + "\"; known: "
                + ALL.stream().map(TaskFamily::name).toList());
    }

    /** A task from the world's prompt distribution. */
    public static Task sample(Rng rng) {
        double u = rng.nextDouble(), acc = 0;
        for (int i = 0; i < ALL.size(); i++) {
            acc += WEIGHTS[i];
            if (u < acc) return ALL.get(i).generate(rng);
        }
        return ALL.getLast().generate(rng);
    }
}
