# Cloud Run: gcloud run deploy invite --source .   (docs/deploy.md)
# A static binary, built reproducibly (pinned toolchain, -trimpath, no VCS
# stamp), run as an unprivileged user on distroless. Nothing is stored inside
# the image: grants live in Cloud SQL (DATABASE_URL), secrets in Secret Manager.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/bot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/bot"]
