import { describeExampleApp } from './app.suite';

describeExampleApp('memory');
