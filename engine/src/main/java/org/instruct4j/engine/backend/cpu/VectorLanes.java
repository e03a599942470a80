package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;

/** Separate from VectorSupport so the Vector API class is loaded only when the module is present. */
final class VectorLanes {
    private VectorLanes() {}

    static int floatLanes() { return FloatVector.SPECIES_PREFERRED.length(); }
}
