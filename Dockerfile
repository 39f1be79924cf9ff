# The data plane service, for docker-compose.yml (production mode: PostgreSQL catalog + MinIO data path).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Auraison.DataPlane -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    DataPlane__DataDir=/var/lib/dataplane
VOLUME /var/lib/dataplane
EXPOSE 8080
ENTRYPOINT ["dotnet", "Auraison.DataPlane.dll"]
