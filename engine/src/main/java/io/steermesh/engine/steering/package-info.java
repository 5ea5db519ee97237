/**
 * Where steering vectors come from and how to read them: vectors from captured activations
 * ({@link io.steermesh.engine.steering.SteeringVectors}: ActAdd prompt contrasts, mean differences, token
 * embeddings), sparse autoencoders ({@link io.steermesh.engine.steering.Sae}) and their feature
 * statistics ({@link io.steermesh.engine.steering.FeatureAnalysis}), and llama.cpp control vectors
 * ({@link io.steermesh.engine.steering.ControlVector}). Everything here is plain math over float arrays
 * and the engine's model; nothing depends on a framework.
 */
package io.steermesh.engine.steering;
