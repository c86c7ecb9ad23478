# Build a static binary, then run it as an unprivileged user on distroless.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
# SQLite (the default store) writes here; mount a volume or set DATABASE_URL.
ENV BOT_DATA_DIR=/tmp/bot-data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/bot"]
