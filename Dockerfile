# One image per host project: docker build --build-arg PROJECT=Silo|Gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG PROJECT=Silo
WORKDIR /src
COPY . .
RUN dotnet publish src/${PROJECT}/Cohortly.${PROJECT}.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG PROJECT=Silo
ENV COHORTLY_ENTRY=Cohortly.${PROJECT}.dll
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["sh", "-c", "exec dotnet $COHORTLY_ENTRY"]
