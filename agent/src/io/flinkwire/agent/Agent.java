package io.flinkwire.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.rest.handler.RestHandlerException;
import org.apache.flink.runtime.rest.handler.HandlerRequestException;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.flink.table.gateway.api.utils.SqlGatewayException;
import org.apache.flink.util.ExceptionUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * flinkwire agent: a stand-in for the Flink SQL Gateway REST endpoint (API versions V1..V4) that
 * runs each statement in its own TableEnvironment, over its session's catalogs, against a Flink
 * session cluster.
 */
public final class Agent {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final List<String> VERSIONS = List.of("V1", "V2", "V3", "V4");

    final Options opts;
    /**
     * The gateway's default Flink configuration (its DefaultContext): the cluster's config.yaml and
     * the deployment keys the gateway's CLI adds. Every session starts from it, RESET returns to it.
     */
    final Map<String, String> baseConfig;
    final Map<UUID, Session> sessions = new ConcurrentHashMap<>();
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fw-session-reaper"));
    final java.util.concurrent.ExecutorService opPool = Executors.newCachedThreadPool(r -> daemon(r, "fw-operation"));

    static final class Options {
        String bind = "127.0.0.1";
        int port = 8083;
        String flinkRestAddress = "127.0.0.1";
        int flinkRestPort = 8081;
        String flinkConfDir;
        long sessionIdleTimeoutMs = 10 * 60 * 1000L;
        long sessionCheckIntervalMs = 60 * 1000L;
        int maxRowsPerPage = 1000;
        int httpThreads = 16;
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    static void log(String fmt, Object... args) {
        System.err.println(LocalDateTime.now() + " [agent] " + String.format(fmt, args));
    }

    Agent(Options opts) {
        this.opts = opts;
        Map<String, String> base = new LinkedHashMap<>();
        if (opts.flinkConfDir != null) {
            Configuration c = GlobalConfiguration.loadConfiguration(opts.flinkConfDir);
            for (Map.Entry<String, String> e : c.toMap().entrySet()) {
                String k = e.getKey();
                if (k.startsWith("env.java.opts") || k.equals("io.tmp.dirs")) continue;
                base.put(k, e.getValue());
            }
            base.put("$internal.deployment.config-dir", opts.flinkConfDir);
        }
        base.put("execution.target", "remote");
        base.put("rest.address", opts.flinkRestAddress);
        base.put("rest.port", Integer.toString(opts.flinkRestPort));
        base.put("execution.attached", "true");
        base.put("execution.shutdown-on-attached-exit", "false");
        base.put("execution.state-recovery.claim-mode", "NO_CLAIM");
        base.put("execution.state-recovery.ignore-unclaimed-state", "false");
        base.put("sql-gateway.endpoint.type", "rest");
        base.put("sql-gateway.endpoint.rest.address", opts.bind);
        base.put("sql-gateway.endpoint.rest.bind-address", opts.bind);
        base.put("sql-gateway.endpoint.rest.port", Integer.toString(opts.port));
        this.baseConfig = base;
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port": o.port = Integer.parseInt(v); i++; break;
                case "--bind": o.bind = v; i++; break;
                case "--flink-rest-address": o.flinkRestAddress = v; i++; break;
                case "--flink-rest-port": o.flinkRestPort = Integer.parseInt(v); i++; break;
                case "--flink-conf-dir": o.flinkConfDir = v; i++; break;
                case "--session-idle-timeout-ms": o.sessionIdleTimeoutMs = Long.parseLong(v); i++; break;
                case "--session-check-interval-ms": o.sessionCheckIntervalMs = Long.parseLong(v); i++; break;
                case "--max-rows-per-page": o.maxRowsPerPage = Integer.parseInt(v); i++; break;
                case "--http-threads": o.httpThreads = Integer.parseInt(v); i++; break;
                case "-h": case "--help":
                    System.out.println("usage: Agent [--port 8083] [--bind 127.0.0.1] [--flink-rest-address 127.0.0.1]"
                            + " [--flink-rest-port 8081] [--flink-conf-dir DIR] [--session-idle-timeout-ms 600000]"
                            + " [--session-check-interval-ms 60000] [--max-rows-per-page 1000] [--http-threads 16]");
                    return;
                default:
                    System.err.println("unknown argument: " + a);
                    System.exit(2);
            }
        }
        new Agent(o).start();
    }

    void start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(opts.bind, opts.port), 128);
        server.setExecutor(Executors.newFixedThreadPool(opts.httpThreads, r -> daemon(r, "fw-http")));
        server.createContext("/", this::handle);
        server.start();
        long check = Math.max(1000L, Math.min(opts.sessionCheckIntervalMs, opts.sessionIdleTimeoutMs));
        timer.scheduleWithFixedDelay(this::reapIdleSessions, check, check, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Session s : sessions.values()) s.close();
        }, "fw-shutdown"));
        log("listening on http://%s:%d, Flink cluster at %s:%d", opts.bind, opts.port, opts.flinkRestAddress, opts.flinkRestPort);
    }

    void reapIdleSessions() {
        long now = System.currentTimeMillis();
        for (Session s : sessions.values()) {
            if (now - s.lastAccess > opts.sessionIdleTimeoutMs) {
                log("closing idle session %s", s.handle);
                sessions.remove(s.handle);
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // HTTP

    /** An error response: status and the "errors" list. */
    static final class HttpError extends Exception {
        final int status;
        final List<String> errors;

        HttpError(int status, List<String> errors) {
            super(null, null, false, false);
            this.status = status;
            this.errors = errors;
        }
    }

    /** Like Flink's AbstractHandler for a RestHandlerException: one string, the stack trace. */
    static HttpError restError(String message, int status, Throwable cause) {
        RestHandlerException e = new RestHandlerException(message, HttpResponseStatus.valueOf(status), cause);
        return new HttpError(status, List.of(ExceptionUtils.stringifyException(e)));
    }

    /** Like Flink's AbstractHandler for any other exception. */
    static HttpError internalError(Throwable t) {
        String stack = String.format("<Exception on server side:%n%s%nEnd of exception on server side>", ExceptionUtils.stringifyException(t));
        return new HttpError(500, List.of("Internal server error.", stack));
    }

    static HttpError badParam(String kind, String name, String value) {
        String m = String.format("Cannot resolve %s parameter (%s) from value \"%s\".", kind, name, value);
        return restError("Bad request, could not parse parameters: " + m, 400, new HandlerRequestException(m));
    }

    static final class Req {
        HttpExchange ex;
        String method;
        String version; // "v1".."v4"
        int v;
        List<String> path;
        Map<String, String> query;
        String uri;

        JsonNode body(String requestClass) throws HttpError {
            try {
                byte[] b = readAll(ex.getRequestBody());
                if (b.length == 0) return MAPPER.createObjectNode();
                JsonNode n = MAPPER.readTree(b);
                if (n == null || n.isNull() || n.isMissingNode()) return MAPPER.createObjectNode();
                if (!n.isObject()) throw new IOException("expected a JSON object");
                return n;
            } catch (IOException e) {
                throw restError("Request did not match expected format " + requestClass + ".", 400, e);
            }
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    void handle(HttpExchange ex) throws IOException {
        int status = 200;
        byte[] out;
        try {
            JsonNode resp;
            try {
                resp = route(ex);
            } catch (HttpError e) {
                throw e;
            } catch (Throwable t) {
                log("unexpected error on %s %s: %s", ex.getRequestMethod(), ex.getRequestURI(), t);
                throw internalError(t);
            }
            out = MAPPER.writeValueAsBytes(resp);
        } catch (HttpError e) {
            status = e.status;
            ObjectNode n = MAPPER.createObjectNode();
            ArrayNode a = n.putArray("errors");
            e.errors.forEach(a::add);
            out = MAPPER.writeValueAsBytes(n);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
        ex.sendResponseHeaders(status, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    JsonNode route(HttpExchange ex) throws Exception {
        Req r = new Req();
        r.ex = ex;
        r.method = ex.getRequestMethod().toUpperCase();
        String rawPath = ex.getRequestURI().getRawPath();
        String rawQuery = ex.getRequestURI().getRawQuery();
        r.uri = rawPath + (rawQuery != null ? "?" + rawQuery : "");
        r.query = new HashMap<>();
        if (rawQuery != null) {
            for (String kv : rawQuery.split("&")) {
                if (kv.isEmpty()) continue;
                int i = kv.indexOf('=');
                String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
                String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
                r.query.putIfAbsent(k, v);
            }
        }
        List<String> segs = new ArrayList<>();
        for (String s : rawPath.split("/")) if (!s.isEmpty()) segs.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
        HttpError notFound = new HttpError(404, List.of("Not found: " + r.uri));
        if (!segs.isEmpty() && segs.get(0).matches("v\\d+")) {
            String ver = segs.get(0).toUpperCase();
            if (!VERSIONS.contains(ver)) throw notFound;
            r.version = segs.get(0);
            segs = segs.subList(1, segs.size());
        } else {
            r.version = "v4";
        }
        r.v = Integer.parseInt(r.version.substring(1));
        r.path = segs;
        int n = segs.size();
        String m = r.method;
        if (n == 1 && segs.get(0).equals("api_versions") && m.equals("GET")) {
            ObjectNode o = MAPPER.createObjectNode();
            ArrayNode a = o.putArray("versions");
            VERSIONS.forEach(a::add);
            return o;
        }
        if (n == 1 && segs.get(0).equals("info") && m.equals("GET")) {
            ObjectNode o = MAPPER.createObjectNode();
            o.put("productName", "Apache Flink");
            String version = EnvironmentInformation.getVersion();
            o.put("version", version == null || version.startsWith("<") ? "2.3.0" : version);
            return o;
        }
        if (n == 0 || !segs.get(0).equals("sessions")) throw notFound;
        if (n == 1) {
            if (m.equals("POST")) return openSession(r);
            throw notFound;
        }
        if (n == 2) {
            if (m.equals("GET")) return getSessionConfig(r, segs.get(1));
            if (m.equals("DELETE")) return closeSession(r, segs.get(1));
            throw notFound;
        }
        String sh = segs.get(1);
        if (n == 3) {
            switch (segs.get(2)) {
                case "heartbeat":
                    if (m.equals("POST")) return heartbeat(r, sh);
                    break;
                case "statements":
                    if (m.equals("POST")) return executeStatement(r, sh);
                    break;
                case "configure-session":
                    if (m.equals("POST") && r.v >= 2) return configureSession(r, sh);
                    break;
                case "complete-statement":
                    if (m.equals("GET") && r.v >= 2) return completeStatement(r, sh);
                    break;
                default:
                    break;
            }
            throw notFound;
        }
        if (segs.get(2).equals("operations")) {
            String oh = segs.get(3);
            if (n == 5) {
                switch (segs.get(4)) {
                    case "status":
                        if (m.equals("GET")) return operationStatus(r, sh, oh);
                        break;
                    case "cancel":
                        if (m.equals("POST")) return cancelOperation(r, sh, oh);
                        break;
                    case "close":
                        if (m.equals("DELETE")) return closeOperation(r, sh, oh);
                        break;
                    default:
                        break;
                }
            } else if (n == 6 && segs.get(4).equals("result") && m.equals("GET")) {
                return fetchResults(r, sh, oh, segs.get(5));
            }
        }
        throw notFound;
    }

    // ------------------------------------------------------------------------------------------
    // Handlers

    static UUID parseHandle(String name, String value) throws HttpError {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw badParam("path", name, value);
        }
    }

    /** Looks a session up the way SqlGatewayServiceImpl does; throws the service's exception. */
    Session session(UUID h) {
        Session s = sessions.get(h);
        if (s == null) throw new SqlGatewayException(String.format("Session '%s' does not exist.", h));
        s.touch();
        return s;
    }

    JsonNode openSession(Req r) throws Exception {
        JsonNode body = r.body("OpenSessionRequestBody");
        Map<String, String> props = new LinkedHashMap<>();
        JsonNode p = body.get("properties");
        if (p != null && p.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                props.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        String name = body.hasNonNull("sessionName") ? body.get("sessionName").asText() : null;
        UUID h = UUID.randomUUID();
        Session s;
        try {
            s = new Session(this, h, name, props);
        } catch (Throwable t) {
            throw restError("Failed to openSession.", 500, new SqlGatewayException("Failed to openSession.", t));
        }
        sessions.put(h, s);
        log("opened session %s (%s)", h, name);
        ObjectNode o = MAPPER.createObjectNode();
        o.put("sessionHandle", h.toString());
        return o;
    }

    JsonNode getSessionConfig(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        Map<String, String> cfg;
        try {
            cfg = session(h).configSnapshot();
        } catch (Throwable t) {
            throw restError("Failed to getSessionConfig.", 500, new SqlGatewayException("Failed to getSessionConfig.", t));
        }
        ObjectNode o = MAPPER.createObjectNode();
        ObjectNode p = o.putObject("properties");
        cfg.forEach(p::put);
        return o;
    }

    JsonNode closeSession(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        Session s;
        try {
            s = session(h);
        } catch (Throwable t) {
            throw restError("Failed to closeSession.", 500, new SqlGatewayException("Failed to closeSession.", t));
        }
        sessions.remove(h);
        s.close();
        log("closed session %s", h);
        ObjectNode o = MAPPER.createObjectNode();
        o.put("status", "CLOSED");
        return o;
    }

    JsonNode heartbeat(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        try {
            session(h);
        } catch (Throwable t) {
            throw restError("Failed to triggerSessionHeartbeat.", 500, new SqlGatewayException("Failed to triggerSessionHeartbeat.", t));
        }
        return MAPPER.createObjectNode();
    }

    JsonNode configureSession(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        JsonNode body = r.body("ConfigureSessionRequestBody");
        String stmt = body.hasNonNull("statement") ? body.get("statement").asText() : null;
        try {
            Session s = session(h);
            s.configure(stmt);
        } catch (Throwable t) {
            throw internalError(new SqlGatewayException("Failed to configure session.", t));
        }
        return MAPPER.createObjectNode();
    }

    JsonNode completeStatement(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        JsonNode body = r.body("CompleteStatementRequestBody");
        String stmt = body.hasNonNull("statement") ? body.get("statement").asText() : "";
        int pos = body.hasNonNull("position") ? body.get("position").asInt() : stmt.length();
        String[] hints;
        try {
            hints = session(h).complete(stmt, pos);
        } catch (Throwable t) {
            throw internalError(new SqlGatewayException("Failed to getCompletionHints.", t));
        }
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode a = o.putArray("candidates");
        Arrays.stream(hints).forEach(a::add);
        return o;
    }

    JsonNode executeStatement(Req r, String sh) throws Exception {
        UUID h = parseHandle("session_handle", sh);
        JsonNode body = r.body("ExecuteStatementRequestBody");
        String stmt = body.hasNonNull("statement") ? body.get("statement").asText() : null;
        Map<String, String> execConfig = new LinkedHashMap<>();
        JsonNode ec = body.get("executionConfig");
        if (ec != null && ec.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = ec.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                execConfig.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        Operation op;
        try {
            op = session(h).submit(stmt, execConfig);
        } catch (Throwable t) {
            throw internalError(new SqlGatewayException(new SqlGatewayException("Failed to executeStatement.", t)));
        }
        ObjectNode o = MAPPER.createObjectNode();
        o.put("operationHandle", op.handle.toString());
        return o;
    }

    Operation operation(UUID sh, UUID oh) {
        Session s = session(sh);
        Operation op = s.operations.get(oh);
        if (op == null) {
            throw new SqlGatewayException(String.format("Can not find the submitted operation in the OperationManager with the %s.", oh));
        }
        return op;
    }

    JsonNode operationStatus(Req r, String sh, String oh) throws Exception {
        UUID s = parseHandle("session_handle", sh);
        UUID o = parseHandle("operation_handle", oh);
        String status;
        try {
            status = operation(s, o).status;
        } catch (Throwable t) {
            throw restError("Failed to getOperationInfo.", 500, new SqlGatewayException("Failed to getOperationInfo.", t));
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("status", status);
        return n;
    }

    JsonNode cancelOperation(Req r, String sh, String oh) throws Exception {
        UUID s = parseHandle("session_handle", sh);
        UUID o = parseHandle("operation_handle", oh);
        try {
            operation(s, o).cancel();
        } catch (Throwable t) {
            throw restError("Failed to cancelOperation.", 500, new SqlGatewayException("Failed to cancelOperation.", t));
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("status", "CANCELED");
        return n;
    }

    JsonNode closeOperation(Req r, String sh, String oh) throws Exception {
        UUID s = parseHandle("session_handle", sh);
        UUID o = parseHandle("operation_handle", oh);
        try {
            Session sess = session(s);
            Operation op = operation(s, o);
            sess.operations.remove(o);
            op.close();
        } catch (Throwable t) {
            throw restError("Failed to closeOperation.", 500, new SqlGatewayException("Failed to closeOperation.", t));
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("status", "CLOSED");
        return n;
    }

    JsonNode fetchResults(Req r, String sh, String oh, String tokenStr) throws Exception {
        UUID s = parseHandle("session_handle", sh);
        UUID o = parseHandle("operation_handle", oh);
        long token;
        try {
            token = Long.parseLong(tokenStr);
        } catch (NumberFormatException e) {
            throw badParam("path", "token", tokenStr);
        }
        String format = "JSON";
        if (r.v >= 2 && r.query.containsKey("rowFormat")) {
            String f = r.query.get("rowFormat");
            if (!f.equals("JSON") && !f.equals("PLAIN_TEXT")) throw badParam("query", "rowFormat", f);
            format = f;
        }
        Operation.Page page;
        try {
            Operation op;
            try {
                op = operation(s, o);
                page = op.fetch(token);
            } catch (Throwable t) {
                throw new SqlGatewayException("Failed to fetchResults.", t);
            }
        } catch (Throwable t) {
            throw internalError(new SqlGatewayException(t));
        }
        String base = "/" + r.version + "/sessions/" + s + "/operations/" + o + "/result/";
        String suffix = r.v >= 2 ? "?rowFormat=" + format : "";
        ObjectNode n = MAPPER.createObjectNode();
        n.put("resultType", page.type);
        if (!page.type.equals("NOT_READY")) {
            ResultSpec rs = page.result;
            n.put("isQueryResult", rs.isQuery);
            if (rs.jobId != null) n.put("jobID", rs.jobId);
            n.put("resultKind", rs.resultKind);
            ObjectNode results = n.putObject("results");
            results.set("columns", rs.columnsJson());
            results.put("rowFormat", format);
            ArrayNode data = results.putArray("data");
            for (org.apache.flink.table.data.RowData row : page.rows) {
                data.add(format.equals("JSON") ? rs.rowToJson(row) : rs.rowToPlainText(row));
            }
        }
        if (page.nextToken != null) n.put("nextResultUri", base + page.nextToken + suffix);
        return n;
    }

    static String json(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new RuntimeException(e);
        }
    }
}
