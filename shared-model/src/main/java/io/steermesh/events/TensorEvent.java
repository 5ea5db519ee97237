package io.steermesh.events;

/**
 * An event whose bulk is a float tensor. On the wire the tensor is the record value (little-endian
 * float32) and every other field is JSON in the {@code meta} header; {@code contracts/TENSORS.md} has the
 * layout. In the record the tensor component is marked {@code @JsonIgnore @JacksonInject("tensor")}: it is
 * never written as JSON, and the codec hands it back in when it rebuilds the record from {@code meta}.
 */
public sealed interface TensorEvent extends Event permits LogitsComputed, SteeringVectorPublished, ActivationsCaptured {

    /** The id under which the codec injects the tensor while reading {@code meta}. */
    String TENSOR = "tensor";

    /** The float32 payload, row-major in {@link #shape()}; not a copy. */
    float[] tensor();

    /** Dimensions of {@link #tensor()}; their product is its length. */
    int[] shape();
}
