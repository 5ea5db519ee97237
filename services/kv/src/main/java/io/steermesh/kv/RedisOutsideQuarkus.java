package io.steermesh.kv;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.runtime.datasource.BlockingRedisDataSourceImpl;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisAPI;

import java.time.Duration;

/**
 * The Quarkus Redis client's data source built by hand, for code that runs outside a Quarkus app (the
 * tests of these stores, the mesh integration tests). Inside a service, inject {@link RedisDataSource}
 * instead: it is configured under {@code quarkus.redis.*}.
 */
public final class RedisOutsideQuarkus implements AutoCloseable {
    private final Vertx vertx;
    private final Redis redis;
    private final RedisDataSource dataSource;

    private RedisOutsideQuarkus(Vertx vertx, Redis redis) {
        this.vertx = vertx;
        this.redis = redis;
        this.dataSource = new BlockingRedisDataSourceImpl(vertx, redis, RedisAPI.api(redis), Duration.ofSeconds(10));
    }

    /** @param url {@code redis://host:port} (or {@code rediss://…} for TLS, with user and password as the URL allows) */
    public static RedisOutsideQuarkus open(String url) {
        Vertx vertx = Vertx.vertx();
        return new RedisOutsideQuarkus(vertx, Redis.createClient(vertx, url));
    }

    public RedisDataSource dataSource() { return dataSource; }

    @Override
    public void close() {
        redis.close();
        vertx.closeAndAwait();
    }
}
