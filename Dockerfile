# Build stage: compile TypeScript with the full dependency tree.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` devDependency ships a Node binary for the npm scripts of developer machines; the image
# already has Node 24, so install scripts are skipped here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build compiles the code and copies the status page's static files beside it.
RUN npm run build

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# glibc's malloc keeps large blocks in mappings of their own: see src/runtime/memory-policy.ts.
ENV MALLOC_MMAP_THRESHOLD_=32768
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 6779
# As PID 1, Node gets no default signal handlers; the service installs its own for SIGTERM and SIGINT
# (stop imports, save checkpoints, release locks, exit). It starts no child processes to reap.
STOPSIGNAL SIGTERM
# --max-semi-space-size: see src/runtime/memory-policy.ts.
CMD ["node", "--max-semi-space-size=4", "dist/server.js"]
