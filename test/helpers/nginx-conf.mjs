// The nginx configuration of the tests (test/helpers/nginx.ts) and of the bench
// (test/bench/targets.mjs): one worker, every file under its own prefix `dir`,
// no access log, a fixed 12-byte answer. Plain JavaScript, so that the bench,
// which runs as plain .mjs, loads it as the tests do.

/** The answer both serve at `/`. */
export const HELLO_LOCATION = 'location / { default_type text/plain; return 200 "hello world\\n"; }';

/**
 * @param {{ dir: string, errorLogLevel: string, keepaliveRequests: number, keepaliveTimeout: string,
 *   http?: string, servers: string, workerProcesses?: number, workerConnections?: number, main?: string }} o
 *   `servers`: the server blocks; `http`: more directives in http {}; `main`: more in the main context.
 *   Start nginx with `-g 'daemon off;'` to keep it a child that can be stopped by its PID.
 */
export function nginxConf({ dir, errorLogLevel, keepaliveRequests, keepaliveTimeout, http = '', servers, workerProcesses = 1, workerConnections = 16384, main = '' }) {
  return `
worker_processes ${workerProcesses};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log ${errorLogLevel};
${main}
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests ${keepaliveRequests};
  keepalive_timeout ${keepaliveTimeout};
  ${http}
  ${servers}
}
`;
}
