# zkgate registry agent sidecar image. Build from the repository root:
#   docker build -f docker/agent.Dockerfile -t zkgate/agent .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -pl registry-agent -am package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --system --home-dir /opt/zkgate zkgate && mkdir -p /opt/zkgate
COPY --from=build /src/registry-agent/target/zkgate-agent.jar /opt/zkgate/zkgate-agent.jar
USER zkgate
ENTRYPOINT ["java", "-Xmx64m", "-XX:+UseSerialGC", "-jar", "/opt/zkgate/zkgate-agent.jar"]
